# ST-Embed Table 4 baseline "KE+SIE": KE and SIE (predicted person centre) assumed smooth in time,
# Psi = Psi_KE + ||S^t - S^{t-1}||^2 / box area (SpatialEmbeddingSimilarity), Munkres.
_base_ = ['./st_embed_ke.py']
tracker = dict(similarity=dict(use_sie=True), assigner=dict(match_thr=-2.0))
