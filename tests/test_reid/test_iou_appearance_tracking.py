"""IoU + appearance re-identifies a person whom IoU alone loses (OGN Sec. 4.2)."""
import numpy as np

from mmpose_track.tracking import build_tracker


def _kpts(box):
    x1, y1, x2, y2 = box
    k = np.zeros((17, 3), np.float32)
    k[:, 0] = np.linspace(x1, x2, 17)
    k[:, 1] = np.linspace(y1, y2, 17)
    k[:, 2] = 1
    return k


def _run(tracker, frames):
    ids = []
    for f, people in enumerate(frames):
        boxes = np.array([b for b, _ in people], np.float32).reshape(-1, 4)
        kpts = np.stack([_kpts(b) for b in boxes]) if len(boxes) else np.zeros((0, 17, 3))
        emb = np.array([e for _, e in people], np.float32).reshape(len(people), -1)
        feats = dict(embeddings=emb) if emb.size else {}
        ids.append(list(tracker.update(kpts, boxes, f, **feats)))
    return ids


def test_appearance_recovers_identity_after_jump():
    a, b = np.eye(8)[0], np.eye(8)[1]
    # A walks on the left, is occluded for a frame, reappears displaced (IoU 0 with its last
    # box); B stays on the right. Then C (new look) appears where A was first.
    frames = [
        [((10, 10, 50, 110), a), ((200, 10, 240, 110), b)],
        [((200, 12, 240, 112), b)],
        [((70, 10, 110, 110), a), ((200, 12, 240, 112), b)],
        [((72, 10, 112, 110), a), ((200, 12, 240, 112), b), ((10, 10, 50, 110), np.eye(8)[2])],
    ]
    cfg = dict(type='IoUAppearanceTracker', match_thr=0.3, iou_weight=0.5,
               appearance_weight=0.5, num_frames_retain=10, reactivate=True, cascade=True)
    ids = _run(build_tracker(cfg), frames)
    assert ids[2][0] == ids[0][0]          # A re-identified after the jump
    assert ids[2][1] == ids[1][0] == ids[0][1]
    assert ids[3][2] not in (ids[0][0], ids[0][1])  # C is new despite A's old place

    iou_only = build_tracker(dict(type='IoUHungarianTracker', match_thr=0.3,
                                  num_frames_retain=10, reactivate=True))
    frames_no_emb = [[(bx, np.zeros(0)) for bx, _ in f] for f in frames]
    ids_iou = _run(iou_only, frames_no_emb)
    assert ids_iou[2][0] != ids_iou[0][0]  # IoU alone starts a new track for A


def test_appearance_resolves_crossing():
    """Two people cross; appearance keeps the ids where boxes overlap ambiguously."""
    a, b = np.eye(4)[0], np.eye(4)[1]
    frames = [
        [((0, 0, 40, 100), a), ((60, 0, 100, 100), b)],
        [((25, 0, 65, 100), a), ((35, 0, 75, 100), b)],   # both overlap both
        [((45, 0, 85, 100), a), ((15, 0, 55, 100), b)],   # swapped sides: IoU prefers swap
    ]
    cfg = dict(type='IoUAppearanceTracker', match_thr=0.1, iou_weight=0.3,
               appearance_weight=0.7, num_frames_retain=1)
    ids = _run(build_tracker(cfg), frames)
    assert ids[0] == ids[1] == ids[2]
