"""Shipping a model out of enet-port: ONNX files (``torch.onnx.export``, the dynamo exporter),
``.pt2`` ExportedPrograms (``torch.export``) and running them again (ONNX Runtime).

Lua counterpart: none; a Torch7 model left Lua only as a ``torch.save`` file. This layer imports
the model half alone (to name a refused module's spec entry); ``predict`` runs what it writes.
"""
