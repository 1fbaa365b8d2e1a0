"""The training loop, modeled on imagenet-multiGPU.torch: options (``opts``), ``train``/``test``
epochs, schedules, checkpoints, run folders and logs, and ``main``, which runs them. It takes its
batches from the data path (:mod:`enet_port.data`), builds on the model half and never imports the
Lua half."""
