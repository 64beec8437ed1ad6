"""Offset-guided Network head (OGN, Zhang et al. 2019, Sec. 3.1.2-3.1.4, Fig. 1).

Deconv layers on the backbone's last feature map (one deconv: stride 16 from ResNet's C5, two:
stride 8), then a ``K``-channel heatmap conv (classification branch, Eq. 1) and a ``2K``-channel
offset conv (regression branch, Eq. 2). Loss: Smooth L1 on the heatmaps (whole map) plus Smooth L1
on the offsets (inside the disks only), simply summed (Sec. 3.1.4). Decoding: the codec
:class:`~mmpose_track.codecs.OffsetHeatmap` (Eq. 3-4, Gaussian-smoothed argmax + ``R x offset``).
"""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmcv.cnn import build_conv_layer
from mmengine.structures import PixelData
from mmpose.evaluation.functional import keypoint_pck_accuracy
from mmpose.models.heads import HeatmapHead
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptSampleList, Predictions
from torch import Tensor

__all__ = ['OGNHead', 'flip_back_ogn_outputs']


def flip_back_ogn_outputs(heatmaps: Tensor,
                          offsets: Optional[Tensor],
                          flip_indices: Sequence[int],
                          stride: float,
                          radius: float,
                          shift_heatmap: bool = True) -> Tuple[Tensor, Optional[Tensor]]:
    """Map the outputs of a horizontally flipped input back onto the original input.

    The flipped image has ``x' = w - 1 - x`` (MMPose's flip). Flipped back, heatmap pixel ``i``
    stands for the heatmap coordinate ``i + delta`` with ``delta = 1 - 1 / stride``, so:

    - heatmaps: flipped, symmetric channels swapped, and (``shift_heatmap``) moved one pixel to
      the right, the nearest integer of the misalignment (as MMPose's ``flip_heatmaps``);
    - offsets: flipped, swapped, moved with the heatmaps (so both branches cover the same disk),
      the x offset negated and corrected by ``delta / R`` (``(delta - 1) / R`` when shifted) at
      every pixel: ``i + R * offset`` is then exactly the original-image location.

    Args:
        heatmaps: ``(B, K, H, W)``; offsets: ``(B, 2K, H, W)`` (x, y per keypoint) or None.
        stride: input width / heatmap width.
    """
    flip_indices = list(flip_indices)
    hm = heatmaps.flip(-1)[:, flip_indices]
    if shift_heatmap:
        hm = hm.clone()
        hm[..., 1:] = hm[..., :-1].clone()
    if offsets is None:
        return hm, None
    B, C, H, W = offsets.shape
    off = offsets.flip(-1).reshape(B, C // 2, 2, H, W)[:, flip_indices].clone()
    delta = 1.0 - 1.0 / stride
    if shift_heatmap:  # keep the offset field on the same pixels as the heatmap
        off[..., 1:] = off[..., :-1].clone()
        delta -= 1.0
    off[:, :, 0] = -off[:, :, 0] + delta / radius
    return hm, off.reshape(B, C, H, W)


@MODELS.register_module()
class OGNHead(HeatmapHead):
    """OGN head: deconvs -> K heatmaps + 2K offsets.

    Args:
        in_channels (int): channels of the backbone's last feature map.
        out_channels (int): number of keypoints K.
        deconv_out_channels / deconv_kernel_sizes: as ``HeatmapHead``; ``(256, 256)`` (stride 8
            on ResNet's C5, the paper's default) or ``(256, )`` (stride 16).
        conv_out_channels / conv_kernel_sizes: optional convs after the deconvs.
        use_offset (bool | None): build the offset branch; ``None`` follows the decoder's
            ``use_offset`` (True without decoder).
        loss (dict): heatmap loss, default ``SmoothL1Loss(use_target_weight=True)`` (MMPose's).
        offset_loss (dict): offset loss, default ``MaskedSmoothL1Loss`` (inside the disks).
        decoder (dict): an :class:`OffsetHeatmap` codec config.
    """

    def __init__(self,
                 in_channels: Union[int, Sequence[int]],
                 out_channels: int,
                 deconv_out_channels: Optional[Sequence[int]] = (256, 256),
                 deconv_kernel_sizes: Optional[Sequence[int]] = (4, 4),
                 conv_out_channels: Optional[Sequence[int]] = None,
                 conv_kernel_sizes: Optional[Sequence[int]] = None,
                 use_offset: Optional[bool] = None,
                 loss: ConfigType = dict(type='SmoothL1Loss', use_target_weight=True),
                 offset_loss: ConfigType = dict(type='MaskedSmoothL1Loss'),
                 decoder: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        super().__init__(
            in_channels=in_channels,
            out_channels=out_channels,
            deconv_out_channels=deconv_out_channels,
            deconv_kernel_sizes=deconv_kernel_sizes,
            conv_out_channels=conv_out_channels,
            conv_kernel_sizes=conv_kernel_sizes,
            loss=loss,
            decoder=decoder,
            init_cfg=init_cfg)
        if use_offset is None:
            use_offset = getattr(self.decoder, 'use_offset', True)
        self.use_offset = bool(use_offset)
        if self.use_offset:
            feat_channels = self.final_layer.in_channels
            self.offset_layer = build_conv_layer(
                dict(type='Conv2d', in_channels=feat_channels, out_channels=2 * out_channels,
                     kernel_size=1))
            self.offset_loss_module = MODELS.build(offset_loss)

    # ----------------------------------------------------------------- forward
    def forward(self, feats: Tuple[Tensor]) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """``(B, K, H, W)`` heatmaps and, with the offset branch, ``(B, 2K, H, W)`` offsets."""
        x = self.conv_layers(self.deconv_layers(feats[-1]))
        heatmaps = self.final_layer(x)
        if not self.use_offset:
            return heatmaps
        return heatmaps, self.offset_layer(x)

    def _split(self, out) -> Tuple[Tensor, Optional[Tensor]]:
        return (out[0], out[1]) if isinstance(out, tuple) else (out, None)

    def predict(self,
                feats,
                batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> Predictions:
        """Keypoints and scores per sample (``InstanceData``, input-space, then mapped to the image
        by the estimator); flip test averages the heatmaps and the (corrected) offset fields."""
        if test_cfg.get('flip_test', False):
            assert isinstance(feats, list) and len(feats) == 2
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            hm, off = self._split(self.forward(feats[0]))
            hm_f, off_f = self._split(self.forward(feats[1]))
            stride = float(self.decoder.scale_factor[0]) if self.decoder is not None else 1.0
            radius = float(getattr(self.decoder, 'radius', 1.0))
            hm_f, off_f = flip_back_ogn_outputs(hm_f, off_f, flip_indices, stride, radius,
                                                test_cfg.get('shift_heatmap', True))
            hm = (hm + hm_f) * 0.5
            off = None if off is None else (off + off_f) * 0.5
        else:
            hm, off = self._split(self.forward(feats))

        preds = self.decode(hm if off is None else (hm, off))
        if test_cfg.get('output_heatmaps', False):
            return preds, [PixelData(heatmaps=h) for h in hm.detach()]
        return preds

    # -------------------------------------------------------------------- loss
    def loss(self, feats: Tuple[Tensor], batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        hm, off = self._split(self.forward(feats))
        gt_hm = torch.stack([d.gt_fields.heatmaps for d in batch_data_samples]).to(hm)
        kw = torch.cat([d.gt_instance_labels.keypoint_weights
                        for d in batch_data_samples]).to(hm)
        losses = dict(loss_kpt=self.loss_module(hm, gt_hm, kw))
        if self.use_offset:
            gt_off = torch.stack([d.gt_fields.offsets for d in batch_data_samples]).to(off)
            w = torch.stack([d.gt_fields.offset_weights for d in batch_data_samples]).to(off)
            w = w * kw.repeat_interleave(2, dim=1)[..., None, None]
            losses['loss_offset'] = self.offset_loss_module(off, gt_off, w)

        if train_cfg.get('compute_acc', True) and self.decoder is not None:
            # PCK@0.05 of the decoded prediction against the decoded target (exact keypoints)
            with torch.no_grad():
                pred = self.decode(hm if off is None else (hm, off))
                tgt = self.decode(gt_hm if off is None else (gt_hm, gt_off))
            pred_k = np.concatenate([p.keypoints for p in pred])
            tgt_k = np.concatenate([t.keypoints for t in tgt])
            mask = kw.detach().cpu().numpy() > 0
            norm = np.tile(np.array(self.decoder.input_size, np.float32), (len(pred_k), 1))
            _, acc, _ = keypoint_pck_accuracy(pred_k, tgt_k, mask, 0.05, norm)
            losses['acc_pose'] = torch.tensor(acc, device=hm.device)
        return losses
