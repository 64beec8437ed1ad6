"""Compare what ``PoseTrackInferencer`` (``tools/track_video.py``) tracks with what a config's
test loop tracks on the same video with the same weights."""
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.runner import Runner

#: the tracked fields recorded from the loop's frames
FIELDS = ('track_ids', 'keypoints', 'keypoint_scores', 'bboxes')


class _RecordedFrames(BaseMetric):
    """Records the tracked frames the loop hands to its evaluator."""
    default_prefix = 'recorded'

    def process(self, data_batch, data_samples):
        for s in data_samples:
            p = s['pred_instances']
            self.results.append((s['video_id'], int(s['frame_idx']),
                                 {k: np.asarray(p[k]) for k in FIELDS}))

    def compute_metrics(self, results):
        self.seen = list(results)
        return dict(count=len(results))


def loop_tracks_and_weights(cfg, tmp_path) -> Tuple[str, Dict[int, dict], str]:
    """Run ``cfg``'s test loop (its model with the weights it builds); returns the first video's
    id, its tracked frames ``{frame_idx: {field: array}}`` and a checkpoint of those weights."""
    evaluators = cfg.test_evaluator
    cfg.test_evaluator = list(evaluators) if isinstance(evaluators, list) else [evaluators]
    recorder = _RecordedFrames()
    runner = Runner.from_cfg(cfg)
    runner.test_evaluator.metrics.append(recorder)
    runner.test()
    ckpt = str(tmp_path / 'weights.pth')
    torch.save(dict(state_dict=runner.model.state_dict()), ckpt)
    video = recorder.seen[0][0]
    return video, {f: rec for v, f, rec in recorder.seen if v == video}, ckpt


def assert_same_tracks(got: Dict[int, List[dict]], loop: Dict[int, dict],
                       checks: Sequence[Tuple[str, str, dict]]) -> int:
    """Every frame's track ids equal, and each ``(prediction key, loop field, tolerances of
    assert_allclose)`` of ``checks`` close; a frame the loop did not emit has nobody. Returns the
    number of people compared."""
    people = 0
    for f, pred in got.items():
        rec = loop.get(f)
        ids = rec['track_ids'].tolist() if rec is not None else []
        assert [p['track_id'] for p in pred] == ids, f
        if len(pred):
            for key, field, tol in checks:
                np.testing.assert_allclose(np.stack([p[key] for p in pred]), rec[field], **tol)
        people += len(pred)
    return people
