"""The trainer half, modeled on imagenet-multiGPU.torch: options (``opts``), the file index
(``dataset``), the donkeys, ``train``/``test`` epochs, schedules, checkpoints and logs, and
``main``, which runs them. It builds on the model half and never imports the Lua half."""
