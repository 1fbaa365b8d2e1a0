"""Torch7 ``.t7``/``.net`` files: read the serialized module tree (:mod:`.reader`), turn it into
the Node tree and weights of the module table (:mod:`.convert`), load or write the result
(:mod:`.load`). Uses the model half only, never the trainer or the CLI."""
