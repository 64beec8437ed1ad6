"""SpatialNet of ST-Embed (Jin et al. 2019, Sec. 3.1-3.2; supplementary Sec. 1.1, Fig. 1).

A bottom-up estimator: :class:`~mmpose_track.models.backbones.HourglassAENetWithStem` (stacked
hourglass, low-level 256-channel features exposed) and
:class:`~mmpose_track.models.heads.SpatialEmbeddingHead` (heatmaps, KE, SVF, ordinal maps, PGG,
AE decoding on ``[KE, SIE]``). Predictions are mapped from the network input to the original image
exactly as MMPose's :class:`BottomupPoseEstimator` maps keypoints
(``p / input_size * input_scale + input_center - input_scale / 2``), here applied by one function
to keypoints, box corners and the per-joint SIE (a position: the predicted person centre).

For TemporalNet (a subclass): :meth:`SpatialNet.extract_spatial` returns the stem features and the
last stack's maps of a batch; :meth:`SpatialNet.predict_with_spatial` returns those maps together
with the decoded people, from one forward pass.
"""
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from mmpose.models.pose_estimators import BottomupPoseEstimator
from mmpose.registry import MODELS
from mmpose.utils.typing import InstanceList, PixelDataList, SampleList
from torch import Tensor

__all__ = ['SpatialNet', 'input_to_image']


def input_to_image(points, input_size, input_center, input_scale):
    """Map ``(..., 2)`` points from network-input px to original-image px.

    MMPose's bottom-up mapping (``BottomupPoseEstimator.add_pred_to_datasample``):
    ``p / input_size * input_scale + input_center - 0.5 * input_scale``.

    Args:
        points: ``(..., 2)`` array (x, y) in input px.
        input_size: ``(w, h)`` of the network input; input_center, input_scale: ``(2,)`` from
            the sample's metainfo (``BottomupResize``).
    Returns:
        an array of the same shape in image px.
    """
    input_size = np.asarray(input_size, np.float32).reshape(2)
    input_center = np.asarray(input_center, np.float32).reshape(2)
    input_scale = np.asarray(input_scale, np.float32).reshape(2)
    return points / input_size * input_scale + input_center - 0.5 * input_scale


@MODELS.register_module()
class SpatialNet(BottomupPoseEstimator):
    """Bottom-up SpatialNet: ``backbone`` -> ``(stem, stack outputs)`` -> ``SpatialEmbeddingHead``.

    Args: those of MMPose's ``BottomupPoseEstimator`` (``backbone``, ``head``, ``train_cfg``,
    ``test_cfg``, ``data_preprocessor``, ``init_cfg``); ``test_cfg`` takes ``flip_test``,
    ``shift_heatmap``, ``use_pgg``, ``output_heatmaps`` (see the head's ``predict``).
    """

    # ------------------------------------------------------------ for subclasses
    def extract_spatial(self, inputs: Tensor) -> Dict[str, object]:
        """One forward pass of SpatialNet's network, with the maps TemporalNet needs.

        Args:
            inputs: ``(B, 3, H_in, W_in)`` normalised images (after the data preprocessor).
        Returns:
            dict with
            - ``stem``: ``(B, C_stem, H, W)`` low-level features (256 channels in the paper's
              model), the input of the HE and TIE branches;
            - ``heatmaps``: ``(B, K, H, W)``, ``tags``: ``(B, L*K, H, W)`` (KE),
              ``svf``: ``(B, 2K, H, W)`` (view ``(B, K, 2, H, W)``, heatmap px),
              ``ordinal``: ``(B, 6, H, W)``: the last stack's outputs (:meth:`head.split`);
            - ``feats``: the backbone tuple ``(stem, stack_1, ..., stack_S)``, to hand to
              ``self.head.predict`` without a second forward pass.
        """
        feats = self.extract_feat(inputs)
        hm, tags, svf, ordinal = self.head.forward(feats)
        return dict(stem=feats[0], heatmaps=hm, tags=tags, svf=svf, ordinal=ordinal,
                    feats=feats)

    def predict_with_spatial(self, inputs: Tensor, data_samples: SampleList
                             ) -> Tuple[SampleList, Dict[str, object]]:
        """Predict people (image px, as :meth:`predict` without TTA) and keep the maps.

        Args:
            inputs: ``(B, 3, H_in, W_in)``; data_samples: the batch's ``PoseDataSample`` s
                (metainfo ``input_size``, ``input_center``, ``input_scale``).
        Returns:
            ``(data_samples, spatial)``: the samples with ``pred_instances`` set (see
            :meth:`add_pred_to_datasample`) and :meth:`extract_spatial`'s dict.
        """
        spatial = self.extract_spatial(inputs)
        preds = self.head.predict(spatial['feats'], data_samples,
                                  test_cfg=dict(self.test_cfg, flip_test=False))
        instances, fields = preds if isinstance(preds, tuple) else (preds, None)
        return self.add_pred_to_datasample(instances, fields, data_samples), spatial

    # ------------------------------------------------------------------ mapping
    def add_pred_to_datasample(self, batch_pred_instances: InstanceList,
                               batch_pred_fields: Optional[PixelDataList],
                               batch_data_samples: SampleList) -> SampleList:
        """Map ``keypoints``, ``bboxes`` and ``sie`` from input px to image px.

        Same mapping and fields as MMPose's ``BottomupPoseEstimator`` (``keypoints_visible``
        defaults to the keypoint scores), plus ``sie``; ``ke`` is unitless and left as is.

        Returns:
            the samples, each with ``pred_instances`` (and ``pred_fields`` when given).
        """
        if len(batch_pred_instances) != len(batch_data_samples):
            raise ValueError(f'SpatialNet: {len(batch_pred_instances)} predictions for '
                             f'{len(batch_data_samples)} samples')
        fields: List = list(batch_pred_fields) if batch_pred_fields is not None else \
            [None] * len(batch_data_samples)
        for inst, pf, ds in zip(batch_pred_instances, fields, batch_data_samples):
            meta = ds.metainfo
            missing = [k for k in ('input_size', 'input_center', 'input_scale') if k not in meta]
            if missing:
                img = meta.get('img_path', meta.get('img_id', '?'))
                raise KeyError(f'SpatialNet: metainfo {missing} missing for image {img} '
                               f'(use BottomupResize in the test pipeline)')
            to_img = lambda p: input_to_image(p, meta['input_size'], meta['input_center'],  # noqa
                                              meta['input_scale']).astype(np.float32)
            inst.keypoints = to_img(inst.keypoints)
            if 'keypoints_visible' not in inst:
                inst.keypoints_visible = inst.keypoint_scores
            if 'bboxes' in inst:
                inst.bboxes = to_img(inst.bboxes.reshape(-1, 2, 2)).reshape(-1, 4)
            if 'sie' in inst:
                inst.sie = to_img(inst.sie)
            ds.pred_instances = inst
            if pf is not None:
                ds.pred_fields = pf
        return batch_data_samples

    @torch.no_grad()
    def decode_spatial(self, spatial: Dict[str, object], data_samples: SampleList,
                       use_pgg: Optional[bool] = None) -> SampleList:
        """Decode people from :meth:`extract_spatial`'s maps (image px), no forward pass.

        Args:
            spatial: the dict of :meth:`extract_spatial`; data_samples: the batch's samples.
            use_pgg: PGG before decoding (default: the head's / ``test_cfg['use_pgg']``).
        """
        if use_pgg is None:
            use_pgg = self.test_cfg.get('use_pgg', self.head.with_pgg)
        inst = self.head.decode_maps(spatial['heatmaps'], spatial['tags'], spatial['svf'],
                                     data_samples, use_pgg=use_pgg)
        return self.add_pred_to_datasample(inst, None, data_samples)
