"""TopdownPoseEstimatorWithReID: embeddings (N, D) on top-down predictions, crop geometry."""
import os.path as osp

import numpy as np
import torch
from mmengine.registry import DefaultScope
from mmengine.config import Config
from mmengine.structures import InstanceData
from mmpose.registry import MODELS as POSE_MODELS
from mmpose.structures import PoseDataSample

import mmpose_track.register_all  # noqa: F401
from mmdet.registry import TRANSFORMS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
POSE_CFG = osp.join(REPO, 'configs/baseline/td-hm_res18-tiny_synthetic-128x96_iou-appearance.py')
FULL_CFG = osp.join(REPO, 'configs/baseline/td-hm_res50_posetrack18-256x192_iou-appearance.py')


def _wrapper(**kw):
    cfg = Config.fromfile(POSE_CFG)
    m = dict(cfg.model)
    m.update(reid_checkpoint=None, **kw)
    model = POSE_MODELS.build(m)
    model.init_weights()
    return model.eval()


def _sample(center, scale, box, input_size=(96, 128)):
    s = PoseDataSample(metainfo=dict(
        input_center=np.array(center, np.float32), input_scale=np.array(scale, np.float32),
        input_size=input_size, img_shape=(240, 320), ori_shape=(240, 320), flip_indices=list(
            range(17)), id=0, img_id=0, video_id='v', frame_idx=0))
    s.gt_instances = InstanceData(bboxes=np.array([box], np.float32),
                                  bbox_scores=np.ones(1, np.float32))
    return s


def test_configs():
    cfg = Config.fromfile(POSE_CFG)
    assert cfg.model.type == 'TopdownPoseEstimatorWithReID'
    assert cfg.test_cfg.tracker.endswith('trackers/iou_appearance.py')
    assert cfg.model.pose_estimator.type == 'TopdownPoseEstimator'
    full = Config.fromfile(FULL_CFG)
    assert full.model.reid.endswith('reid_res50_posetrack18-256x128.py')
    assert full.model.reid_input_size == (128, 256)


def test_predict_adds_embeddings():
    """Each person's embedding is the ReID model's embedding of the training crop
    (``CropPersonBox``) of its own box in its own input, whatever the batch order."""
    model = _wrapper()
    boxes = [(70, 80, 130, 160), (180, 70, 220, 130), (40, 40, 60, 80)]
    centers, scales = [(100, 120), (200, 100), (50, 60)], [(75, 100), (60, 80), (40, 53)]
    inputs = torch.randint(0, 255, (3, 3, 128, 96)).to(torch.uint8)

    def predict(order):
        samples = [_sample(centers[i], scales[i], boxes[i]) for i in order]
        with torch.no_grad():
            data = model.data_preprocessor(dict(inputs=[inputs[i] for i in order],
                                                data_samples=samples), False)
            return model(**data, mode='predict')

    out = predict([0, 1, 2])
    D = model.reid.head.out_channels
    assert len(out) == 3
    with DefaultScope.overwrite_default_scope('mmdet'):
        crop = TRANSFORMS.build(dict(type='CropPersonBox', size=(32, 64)))
    for i, s in enumerate(out):
        emb = s.pred_instances.embeddings
        assert isinstance(emb, np.ndarray) and emb.shape == (1, D)
        assert s.pred_instances.keypoints.shape == (1, 17, 2)
        # the box in the pose input's pixels: the input spans center +- scale / 2
        c, sc = np.array(centers[i], np.float32), np.array(scales[i], np.float32)
        b = np.array(boxes[i], np.float32).reshape(2, 2)
        b_in = ((b - (c - sc / 2)) * np.array([96, 128]) / sc).reshape(4)
        img = inputs[i].permute(1, 2, 0).numpy().astype(np.float32)  # BGR, as given
        ref = crop.transform(dict(img=img.copy(), bbox=b_in))['img']
        x = model.reid.data_preprocessor.normalize(torch.from_numpy(ref).permute(2, 0, 1)[None])
        with torch.no_grad():
            want = model.reid.embed(x).numpy()
        assert np.linalg.norm(emb - want) < 0.1 * np.linalg.norm(want), i
    shuffled = predict([2, 0, 1])
    for j, i in enumerate([2, 0, 1]):
        np.testing.assert_allclose(shuffled[j].pred_instances.embeddings,
                                   out[i].pred_instances.embeddings, rtol=1e-4, atol=1e-5)
    # the ReID part is frozen and stays in eval mode when the pose model trains
    model.train()
    assert not model.reid.training and model.pose_estimator.training
    assert not any(p.requires_grad for p in model.reid.parameters())


def test_crop_matches_training_crop():
    """The test-time grid_sample crop of a box equals CropPersonBox's training crop."""
    model = _wrapper()
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 255, (128, 96, 3)).astype(np.float32)  # BGR, = the pose input
    img = np.ascontiguousarray(np.kron(img[::4, ::4], np.ones((4, 4, 1))))  # smooth-ish
    box = np.array([20.3, 30.7, 61.1, 110.2], np.float32)
    with DefaultScope.overwrite_default_scope('mmdet'):
        crop = TRANSFORMS.build(dict(type='CropPersonBox', size=(32, 64)))
    ref = crop.transform(
        dict(img=img.copy(), bbox=box))['img']
    pp = model.data_preprocessor
    x = torch.from_numpy(img).permute(2, 0, 1)[None]
    x = (x.flip(1) - pp.mean) / pp.std  # what PoseDataPreprocessor(bgr_to_rgb=True) does
    crops = model.crop(x, torch.from_numpy(box)[None], torch.zeros(1, dtype=torch.long),
                       torch.tensor([[48., 64.]]), torch.tensor([[96., 128.]]))
    want = model.reid.data_preprocessor.normalize(torch.from_numpy(ref).permute(2, 0, 1)[None])
    assert crops.shape == want.shape == (1, 3, 64, 32)
    assert (crops - want).abs().mean() < 0.02


def test_bare_pose_checkpoint_loads(tmp_path):
    from mmengine.runner.checkpoint import load_checkpoint
    model = _wrapper()
    pose_sd = {k: v + 1 if v.is_floating_point() else v
               for k, v in model.pose_estimator.state_dict().items()}
    reid_before = {k: v.clone() for k, v in model.reid.state_dict().items()}
    torch.save(dict(state_dict=pose_sd), tmp_path / 'pose.pth')
    load_checkpoint(model, str(tmp_path / 'pose.pth'), map_location='cpu', strict=False)
    for k, v in model.pose_estimator.state_dict().items():
        assert torch.equal(v, pose_sd[k]), k
    for k, v in model.reid.state_dict().items():
        assert torch.equal(v, reid_before[k]), k
