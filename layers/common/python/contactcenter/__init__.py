"""Contact-center agent state, attendance and supervision: the shared code of every function.

Floors, lowest first: pure rules (this folder's modules) < store/ (the only floor importing AWS SDKs)
< services/ (read, decide, write) < edge/ (HTTP, tokens, settings) < functions/.
"""
