# ST-Embed Table 4 row "HE": Munkres on Psi = 3 * Psi_HE only (human embeddings, no TIE).
_base_ = ['./st_embed.py']
tracker = dict(similarity=dict(lambda_tie=0.0))
