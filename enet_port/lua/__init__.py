"""The Lua half: the sandboxed tracer with its Torch7 stand-ins, ``diff`` and ``import-lua``.
It builds on the model half and never imports the trainer half."""
