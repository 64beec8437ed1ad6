"""Person re-identification (MMDet's ``models/reid`` layout) for OGN's appearance cue (Zhang et
al. 2019, Sec. 4.2).

MMDet 3.3's ``BaseReID``, ``LinearReIDHead`` and ``ReIDDataPreprocessor`` refuse to build without
``mmpretrain`` (they subclass / import its classifier and accuracy), which this stack does not pin.
These classes keep MMDet's ReID design and reuse its parts:

- :class:`PersonReID`: ``backbone -> neck -> head`` like ``BaseReID``; the backbone is any MMDet
  backbone (``ResNet``), the neck MMDet's ``GlobalAveragePooling``;
- :class:`PersonReIDHead`: MMDet's ``LinearReIDHead`` (same layers, ``forward``/``predict``,
  state-dict keys) trained with MMDet's ``TripletLoss`` (batch-hard) and ``CrossEntropyLoss``;
  only its ``mmpretrain`` check and top-k accuracy are replaced;
- :class:`PersonReIDDataPreprocessor`: ``ReIDDataPreprocessor`` without batch augments: stacks
  the ``(P*K, C, H, W)`` triplet batches of ``PackReIDInputs``, BGR->RGB, normalises.

All register into MMDet's ``MODELS`` (ReID configs use ``default_scope='mmdet'``).
``forward(mode='tensor')`` returns the ``(N, D)`` embeddings.
"""
from .builder import build_mmdet_module
from .linear_reid_head import PersonReIDHead
from .person_reid import PersonReID
from .reid_data_preprocessor import PersonReIDDataPreprocessor

__all__ = ['PersonReID', 'PersonReIDHead', 'PersonReIDDataPreprocessor', 'build_mmdet_module']
