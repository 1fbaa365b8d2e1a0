"""The data path, modeled on imagenet-multiGPU.torch's ``dataset.lua`` and ``donkey.lua`` (and
fb.resnet.torch's ``transforms.lua``): the file index (``dataset``, ``filelist``), decoding
(``decode``), the donkeys' crops and flips (``donkey``, ``fb_transforms``, ``pipeline``), batches
handed to the device (``feed``, ``shards``), the built-in sample dataset and the loader benchmark's
data side. It imports nothing of the training loop (``enet_port.train``), which builds on it."""
