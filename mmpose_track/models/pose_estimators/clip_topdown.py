"""Top-down estimator on person tubes: the Clip Tracking Network (Wang et al. 2020, Sec. 3.1).

"Combining detection and tracking for human pose estimation in videos": for each person detected in
a keyframe, a tube (the keyframe box enlarged by 25 %, cut at the same place from the T frames of
the clip) goes through a 3D HRNet (:class:`~mmpose_track.models.backbones.HRNet3D`) that outputs
per-frame heatmaps of *that* person, i.e. T pose hypotheses of the keyframe person, one per frame.
"""
from typing import List, Sequence

from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.registry import MODELS
from mmpose.utils.typing import SampleList
from torch import Tensor

__all__ = ['ClipTopdownPoseEstimator', 'flatten_clip_samples']


def flatten_clip_samples(data_samples: Sequence, num_clips: int, clip_len: int,
                         who: str = 'ClipTopdownPoseEstimator') -> List:
    """The per-frame ``PoseDataSample`` s of a batch of clip samples, in the backbone's order.

    Args:
        data_samples (Sequence[PoseTrackDataSample]): ``num_clips`` clip samples, each with
            ``video_data_samples`` of ``clip_len`` frames (``PackMultiFramePoseInputs``).
        num_clips (int): B, the number of clips of the input tensor.
        clip_len (int): T, the number of frames of the input tensor.
        who (str): the name used in error messages.

    Returns:
        list[PoseDataSample]: ``B*T`` frame samples, frame ``t`` of clip ``b`` at ``b*T + t`` (the
        same objects, not copies), as ``HRNet3D`` lays out its output features.
    """
    if data_samples is None or len(data_samples) != num_clips:
        n = None if data_samples is None else len(data_samples)
        raise ValueError(f'{who}: got {num_clips} input clips but {n} data samples')
    flat = []
    for i, s in enumerate(data_samples):
        frames = getattr(s, 'video_data_samples', None)
        if frames is None or len(frames) != clip_len:
            got = 'no video_data_samples' if frames is None else f'{len(frames)} frame samples'
            raise ValueError(f'{who}: clip sample {i} (img_id={s.metainfo.get("img_id")}, '
                             f'track_id={s.metainfo.get("track_id")}) has {got}, expected '
                             f'{clip_len} (PackMultiFramePoseInputs)')
        flat.extend(frames)
    return flat


@MODELS.register_module()
class ClipTopdownPoseEstimator(TopdownPoseEstimator):
    """MMPose's ``TopdownPoseEstimator`` on person tubes (Clip Tracking Network, Sec. 3.1, 4.2).

    Backbone: :class:`HRNet3D` (clips ``(B, T, 3, H, W)`` in, per-frame features ``(B*T, C, h, w)``
    out, frame ``t`` of clip ``b`` at ``b*T + t``); head: MMPose's ``HeatmapHead``. Data: one tube
    of the keyframe person per sample (``PoseTrack18ClipDataset``, ``ApplyToFrames`` +
    ``PackMultiFramePoseInputs(pack_transformed=True)``, ``MultiFramePoseDataPreprocessor``), a
    ``PoseTrackDataSample`` whose ``video_data_samples`` are the T frames' ``PoseDataSample`` s.
    Single frames ``(B, 3, H, W)`` with ``PoseDataSample`` s (T = 1) are MMPose's behaviour.

    Loss (Sec. 3.1, Eq. 1 "computed over all the frames in the clip"; our copy of the paper lost
    the equation, reconstructed as)::

        L = 1 / (B T K h w) * sum_{b,t,k,p} w_{b,t,k} (H_pred_{b,t,k}(p) - H_gt_{b,t,k}(p))^2

    the mean over clips, frames, joints and heatmap pixels of the weighted squared error, where
    ``H_gt_{b,t,k}`` is the Gaussian of joint ``k`` of the *keyframe person* in frame ``t``
    (``GenerateTarget`` on that frame; other people entering the tube get no target) and
    ``w_{b,t,k}`` its keypoint weight (0 for an invisible joint, a joint off the heatmap, and every
    joint of a frame where the person's track is absent, so such frames add nothing but still count
    in the 1/(B T) normalisation). This is exactly MMPose's ``KeypointMSELoss(use_target_weight=
    True)`` on the flattened ``B*T`` frames, so the head's loss is called unchanged on them.

    Prediction (Sec. 4.2): per frame, heatmaps decoded by the head's codec; with
    ``test_cfg.flip_test`` the heatmaps of the clip and of the horizontally flipped clip (every
    frame flipped, the same tube order) are averaged (MMPose's ``HeatmapHead.predict`` on
    ``[feats, feats_flip]``), keypoints mapped to image coordinates with each frame's own
    ``input_center`` / ``input_scale`` (``add_pred_to_datasample`` on the frame samples).

    Args: as MMPose's ``TopdownPoseEstimator`` (``backbone`` an ``HRNet3D`` config).
    """

    def _clip_layout(self, inputs: Tensor, data_samples, where: str):
        """``(B, T)`` and the flattened frame samples of a 5D input, or None for a 4D one."""
        if inputs.dim() == 4:
            return None
        if inputs.dim() != 5:
            raise ValueError(f'{type(self).__name__}.{where}: expected inputs (B, T, C, H, W) or '
                             f'(B, C, H, W), got shape {tuple(inputs.shape)}')
        b, t = int(inputs.shape[0]), int(inputs.shape[1])
        return flatten_clip_samples(data_samples, b, t, f'{type(self).__name__}.{where}')

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Heatmap MSE over all the frames of the clips (Sec. 3.1, Eq. 1; see the class doc).

        Args:
            inputs (Tensor): clips ``(B, T, 3, H, W)`` (or single frames ``(B, 3, H, W)``).
            data_samples (list[PoseTrackDataSample]): B clip samples whose T frame samples carry
                ``gt_fields.heatmaps`` ``(K, h, w)`` and ``gt_instance_labels.keypoint_weights``
                ``(1, K)`` (or B ``PoseDataSample`` s for single frames).

        Returns:
            dict: the head's losses (``loss_kpt``, and ``acc_pose`` unless
            ``train_cfg.compute_acc`` is False), over the ``B*T`` frames.
        """
        frames = self._clip_layout(inputs, data_samples, 'loss')
        if frames is None:
            return super().loss(inputs, data_samples)
        for i, f in enumerate(frames):
            if 'heatmaps' not in f.get('gt_fields', {}) or \
                    'keypoint_weights' not in f.get('gt_instance_labels', {}):
                t = inputs.shape[1]
                raise ValueError(
                    f'{type(self).__name__}.loss: frame {i % t} of clip {i // t} '
                    f'(img_id={f.metainfo.get("img_id")}) has no gt_fields.heatmaps / '
                    'gt_instance_labels.keypoint_weights: put GenerateTarget inside ApplyToFrames '
                    'and pack with PackMultiFramePoseInputs(pack_transformed=True)')
        return super().loss(inputs, frames)

    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        """Per-frame poses of the keyframe person of each tube (T hypotheses per clip).

        Args:
            inputs (Tensor): clips ``(B, T, 3, H, W)`` (or single frames ``(B, 3, H, W)``).
            data_samples (list[PoseTrackDataSample]): B clip samples of T frame samples with
                ``input_center``, ``input_scale``, ``input_size`` (and ``flip_indices`` for flip
                test) in their metainfo and ``gt_instances.bboxes`` / ``bbox_scores`` (or B
                ``PoseDataSample`` s for single frames).

        Returns:
            list: the B input samples, each frame ``video_data_samples[t]`` with
            ``pred_instances`` (``keypoints`` (1, K, 2) in image coordinates, ``keypoint_scores``
            (1, K), ``bboxes``, ``bbox_scores``) and, with ``test_cfg.output_heatmaps``,
            ``pred_fields.heatmaps``; for single frames, MMPose's ``PoseDataSample`` s.
        """
        frames = self._clip_layout(inputs, data_samples, 'predict')
        if frames is None:
            return super().predict(inputs, data_samples)
        if self.metainfo is not None:  # BasePoseEstimator.forward set it on the clip samples only
            for f in frames:
                f.set_metainfo(self.metainfo)
        # extract_feat / inputs.flip(-1) take the 5D clip; the head sees B*T frames
        super().predict(inputs, frames)
        return list(data_samples)
