"""Top-down pose estimation with re-identification embeddings for IoU + appearance tracking.

OGN (Zhang et al. 2019, Sec. 4.2) tracks like Detect-and-Track's IoU tracker "except that the
appearance information is taken into account ... human Re-identification model is utilized to
extract the appearance feature of the targets ... the Euclidean distance is adopted to measure
the appearance similarity". :class:`TopdownPoseEstimatorWithReID` runs any MMPose top-down
estimator and a separately trained ReID model (:class:`~mmpose_track.models.reid.PersonReID`,
MMDet's ReID design) on the same person boxes, and stores ``pred_instances.embeddings``
``(N, D)``, which the tracking loop hands to ``IoUAppearanceTracker``
(``configs/trackers/iou_appearance.py``).

The ReID crops are sampled from the already warped, normalised pose inputs with one batched
``grid_sample`` (each box mapped through the sample's ``input_center``/``input_scale``), so no
image is read twice; the geometry matches :class:`~mmpose_track.datasets.transforms.CropPersonBox`
used to train the ReID model (box corners to crop corners, aspect not kept, zero = mean padding).
"""
from typing import List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.runner.checkpoint import load_checkpoint
from mmpose.registry import MODELS as POSE_MODELS

from ..reid import build_mmdet_module  # also registers the ReID parts


def _box_grid_theta(boxes: torch.Tensor, centers: torch.Tensor,
                    scales: torch.Tensor) -> torch.Tensor:
    """Affine ``theta`` (M, 2, 3) of ``F.affine_grid`` sampling ``boxes`` out of pose inputs.

    A pose input spans ``center ± scale / 2`` of the image (no rotation at test time), i.e. the
    normalised coordinates ``[-1, 1]``; box ``x1, y1, x2, y2`` (image pixels) -> normalised box.
    """
    bc = (boxes[:, :2] + boxes[:, 2:]) / 2
    bs = (boxes[:, 2:] - boxes[:, :2]).clamp(min=1e-3)
    theta = boxes.new_zeros((boxes.size(0), 2, 3))
    theta[:, 0, 0] = bs[:, 0] / scales[:, 0]
    theta[:, 1, 1] = bs[:, 1] / scales[:, 1]
    theta[:, :, 2] = (bc - centers) * 2 / scales
    return theta


@POSE_MODELS.register_module()
class TopdownPoseEstimatorWithReID(BaseModel):
    """A top-down pose estimator whose predictions carry ReID ``embeddings``.

    Args:
        pose_estimator (dict): any MMPose top-down estimator config (``TopdownPoseEstimator``).
        reid (dict | str): MMDet-scope ReID model config
            (:class:`~mmpose_track.models.reid.PersonReID`), or the path of a ReID config file
            (its ``model``); the ReID ``data_preprocessor`` gives the normalisation the ReID
            model was trained with.
        reid_checkpoint (str, optional): ReID weights (a ``tools/train.py`` checkpoint of a
            ``configs/reid/`` config; point to your own with ``--cfg-options
            model.reid_checkpoint=PATH``). Never read at construction, so a config builds with
            no file on disk: it is loaded by :meth:`init_weights` (training) and when a
            checkpoint without ReID weights is loaded into the wrapper (``load_from`` / the
            checkpoint of ``tools/test.py``: a bare pose-estimator checkpoint); a checkpoint of
            the wrapper itself brings its own ReID weights. A missing file is then a
            ``FileNotFoundError`` naming ``model.reid_checkpoint``. The ReID model is frozen and
            always in eval mode.
        reid_input_size (tuple[int, int]): crop ``(w, h)`` fed to the ReID model (its training
            ``CropPersonBox`` size).
        normalize_embeddings (bool): L2-normalise the embeddings (the tracker's ``normalize``
            does it too; kept off by default so the raw vectors are stored).

    Loss (``mode='loss'``) is the pose estimator's: the ReID model is trained separately
    (``configs/reid/``). Checkpoints of the bare pose estimator (keys ``backbone.*``,
    ``head.*``) load into this wrapper unchanged (keys are moved under ``pose_estimator.``).
    """

    def __init__(self,
                 pose_estimator: dict,
                 reid: dict,
                 reid_checkpoint: Optional[str] = None,
                 reid_input_size: Tuple[int, int] = (64, 128),
                 normalize_embeddings: bool = False,
                 init_cfg=None) -> None:
        pose_estimator = dict(pose_estimator)
        preprocessor = pose_estimator.get('data_preprocessor')
        if isinstance(preprocessor, dict):
            preprocessor = POSE_MODELS.build(preprocessor)
        super().__init__(data_preprocessor=preprocessor, init_cfg=init_cfg)
        # the pose estimator shares the wrapper's preprocessor (run once, in val/test_step)
        pose_estimator['data_preprocessor'] = preprocessor
        self.pose_estimator = POSE_MODELS.build(pose_estimator)
        if isinstance(reid, str):  # a ReID config file (configs/reid/...): its ``model``
            from mmengine.config import Config
            reid = Config.fromfile(reid)['model']
        self.reid = build_mmdet_module(reid)
        self.reid_checkpoint = reid_checkpoint
        self.reid_input_size = (int(reid_input_size[0]), int(reid_input_size[1]))
        self.normalize_embeddings = bool(normalize_embeddings)
        self._reid_loaded = False  # ``reid_checkpoint`` is read on first need (see Args)
        for p in self.reid.parameters():
            p.requires_grad_(False)
        self.reid.eval()

    # ------------------------------------------------------------------ weights
    def _load_reid(self) -> None:
        """Load ``reid_checkpoint`` into the ReID model (once; a no-op without one)."""
        if not self.reid_checkpoint or self._reid_loaded:
            return
        import os.path as osp
        path = self.reid_checkpoint
        if '://' not in path and not osp.isfile(path):
            raise FileNotFoundError(
                f'ReID checkpoint not found: {path} (model.reid_checkpoint; train a '
                'configs/reid/ config first, or pass --cfg-options model.reid_checkpoint=PATH)')
        load_checkpoint(self.reid, path, map_location='cpu', strict=True,
                        revise_keys=[(r'^module\.', '')])
        self._reid_loaded = True

    def init_weights(self) -> None:
        self.pose_estimator.init_weights()
        if self.reid_checkpoint:
            self._load_reid()
        else:
            self.reid.init_weights()

    def train(self, mode: bool = True):
        super().train(mode)
        self.reid.eval()  # frozen: keep its BatchNorm statistics
        return self

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # bare pose-estimator checkpoints: backbone.* / head.* -> pose_estimator.*
        own = (prefix + 'pose_estimator.', prefix + 'reid.', prefix + 'data_preprocessor.')
        for key in [k for k in state_dict if k.startswith(prefix) and not k.startswith(own)]:
            state_dict[prefix + 'pose_estimator.' + key[len(prefix):]] = state_dict.pop(key)
        # a checkpoint without ReID weights (a bare pose estimator's: tools/test.py, load_from)
        # gets the ones of ``reid_checkpoint``, loaded now if not yet (no "missing keys"
        # noise); a checkpoint of this wrapper brings its own
        if not any(k.startswith(prefix + 'reid.') for k in state_dict):
            self._load_reid()
            for k, v in self.reid.state_dict().items():
                state_dict[prefix + 'reid.' + k] = v
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    # ------------------------------------------------------------------ forward
    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        if isinstance(inputs, list):
            inputs = torch.stack(inputs)
        if mode == 'loss':
            return self.pose_estimator.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.pose_estimator._forward(inputs)
        raise RuntimeError(f'invalid mode "{mode}"')

    def predict(self, inputs: torch.Tensor, data_samples: List) -> List:
        results = self.pose_estimator(inputs, data_samples, mode='predict')
        boxes, owners, centers, scales = [], [], [], []
        for i, sample in enumerate(results):
            meta = sample.metainfo
            center = torch.as_tensor(np.asarray(meta['input_center'], np.float32).reshape(2))
            scale = torch.as_tensor(np.asarray(meta['input_scale'], np.float32).reshape(2))
            pred = sample.pred_instances
            if 'bboxes' in pred and len(pred.bboxes):
                b = torch.as_tensor(np.asarray(pred.bboxes, np.float32).reshape(-1, 4))
            else:  # no box: the whole input
                b = torch.cat([center - scale / 2, center + scale / 2])[None]
            n = len(pred) if len(pred) else 0
            if n and b.size(0) != n:
                b = b[:1].expand(n, 4)
            boxes.append(b[:n])
            owners += [i] * n
            centers.append(center[None].expand(n, 2))
            scales.append(scale[None].expand(n, 2))
        if not owners:
            return results
        emb = self.embed_boxes(inputs, torch.cat(boxes), torch.as_tensor(owners),
                               torch.cat(centers), torch.cat(scales))
        emb = emb.detach().cpu().numpy().astype(np.float32)
        start = 0
        for sample in results:
            n = len(sample.pred_instances)
            sample.pred_instances.embeddings = emb[start:start + n]
            start += n
        return results

    @torch.no_grad()
    def embed_boxes(self, inputs: torch.Tensor, boxes: torch.Tensor, owners: torch.Tensor,
                    centers: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
        """ReID embeddings ``(M, D)`` of ``boxes`` (image pixels) of the pose inputs ``owners``."""
        crops = self.crop(inputs, boxes, owners, centers, scales)
        emb = self.reid.embed(crops)
        return F.normalize(emb, dim=1) if self.normalize_embeddings else emb

    def crop(self, inputs: torch.Tensor, boxes: torch.Tensor, owners: torch.Tensor,
             centers: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
        """Batched bilinear crops ``(M, C, h, w)``, renormalised for the ReID model."""
        dev = inputs.device
        theta = _box_grid_theta(boxes.to(dev).float(), centers.to(dev).float(),
                                scales.to(dev).float())
        w, h = self.reid_input_size
        src = inputs.float().index_select(0, owners.to(dev))
        grid = F.affine_grid(theta, [src.size(0), src.size(1), h, w], align_corners=False)
        crops = F.grid_sample(src, grid, mode='bilinear', padding_mode='zeros',
                              align_corners=False)
        return self._renormalize(crops)

    def _renormalize(self, x: torch.Tensor) -> torch.Tensor:
        """Pose preprocessor's normalisation -> the ReID preprocessor's (a no-op when equal)."""
        pp, rp = self.data_preprocessor, getattr(self.reid, 'data_preprocessor', None)
        if rp is None or not hasattr(rp, 'mean'):
            return x
        p_mean = getattr(pp, 'mean', None)
        p_std = getattr(pp, 'std', None)
        p_rgb = bool(getattr(pp, '_channel_conversion', False))
        r_rgb = bool(getattr(rp, 'to_rgb', False))
        same = (p_mean is not None and p_rgb == r_rgb
                and torch.allclose(p_mean.flatten().cpu(), rp.mean.flatten().cpu())
                and torch.allclose(p_std.flatten().cpu(), rp.std.flatten().cpu()))
        if same:
            return x
        if p_mean is not None:
            x = x * p_std.to(x) + p_mean.to(x)  # back to 0-255 in the pose channel order
        if p_rgb != r_rgb:
            x = x.flip(1)
        return (x - rp.mean.to(x)) / rp.std.to(x)


__all__ = ['TopdownPoseEstimatorWithReID']
