# ST-Embed Table 4 row "TIE": Munkres on Psi = Psi_TIE only (Eq. 9, no human embeddings).
_base_ = ['./st_embed.py']
tracker = dict(similarity=dict(lambda_he=0.0))
