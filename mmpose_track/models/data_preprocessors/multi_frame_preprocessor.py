"""Data preprocessor for frame pairs / clips of MMPose estimators (ST-Embed's TemporalNet)."""
from mmpose.models.data_preprocessors import PoseDataPreprocessor
from mmpose.registry import MODELS
from torch import Tensor

__all__ = ['MultiFramePoseDataPreprocessor']


@MODELS.register_module()
class MultiFramePoseDataPreprocessor(PoseDataPreprocessor):
    """MMPose's ``PoseDataPreprocessor`` that also takes frame pairs / clips.

    A sample whose input is ``(T, C, H, W)`` (``PackMultiFramePoseInputs``) is split into its
    ``T`` frames, which are normalised, padded and stacked by ``PoseDataPreprocessor`` (their
    ``PoseDataSample`` s receive ``batch_input_shape`` / ``pad_shape``), and returned as
    ``(B, T, C, H, W)`` with the ``PoseTrackDataSample`` s; single frames ``(C, H, W)`` pass
    through ``PoseDataPreprocessor`` unchanged. (MMPose's preprocessor asserts 3-D inputs;
    MMDet's ``TrackDataPreprocessor`` refuses 3-D ones, and TemporalNet trains on pairs but
    predicts on single frames.)
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if isinstance(inputs, Tensor):
            inputs = list(inputs) if inputs.dim() == 5 else inputs
        if not (isinstance(inputs, (list, tuple)) and inputs and inputs[0].dim() == 4):
            return super().forward(data, training)
        lengths = {int(x.shape[0]) for x in inputs}
        if len(lengths) != 1:
            raise ValueError(f'{type(self).__name__}: samples of one batch must hold the same '
                             f'number of frames, got {sorted(lengths)}')
        T = lengths.pop()
        samples = data.get('data_samples')
        flat = [frame for x in inputs for frame in x]
        frame_samples = None
        if samples is not None:
            frame_samples = [f for s in samples for f in s.video_data_samples]
            if len(frame_samples) != len(flat):
                raise ValueError(f'{type(self).__name__}: {len(flat)} frames but '
                                 f'{len(frame_samples)} frame data samples')
        out = super().forward(dict(inputs=flat, data_samples=frame_samples), training)
        x = out['inputs']
        x = x.reshape((len(inputs), T) + tuple(x.shape[1:]))
        if samples is not None:
            moved = out['data_samples']
            for i, s in enumerate(samples):
                s.video_data_samples = list(moved[i * T:(i + 1) * T])
                samples[i] = s
        return dict(inputs=x, data_samples=samples)
