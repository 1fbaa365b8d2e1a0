"""Weight initialisation done after construction, as a model file's last lines do it.

``torch7``: nothing beyond each module's own ``reset()`` (applied by the registry's builders).
``fb.resnet.torch``: ports ``models/resnet.lua``'s ``ConvInit`` / ``BNInit`` and the Linear
bias zeroing: conv weights ~ N(0, sqrt(2 / (kW*kH*nOutputPlane))), conv biases removed
(``v.bias = nil`` under cudnn >= 4), BN gamma = 1 and beta = 0, Linear bias = 0. Each init
states its structural effect on the Node tree (for ``diff``) and its effect on the weights.
"""
import math

import torch
import torch.nn as nn

from .registry import base_name


class Torch7Reset:
    def apply_to_nodes(self, model):
        pass

    def apply_to_module(self, module):
        pass


class FbResnetInit:
    def apply_to_nodes(self, model):
        for node in model.walk():
            if base_name(node.name) == "SpatialConvolution" and not node.has_modifier("noBias"):
                node.modifiers.append(("noBias",))

    def apply_to_module(self, module):
        with torch.no_grad():
            for m in module.modules():
                if isinstance(m, nn.Conv2d):
                    kh, kw = m.kernel_size
                    m.weight.normal_(0.0, math.sqrt(2.0 / (kw * kh * m.out_channels)))
                elif isinstance(m, nn.BatchNorm2d) and m.affine:
                    m.weight.fill_(1.0)
                    m.bias.zero_()
                elif isinstance(m, nn.Linear) and m.bias is not None:
                    m.bias.zero_()


INITS = {"torch7": Torch7Reset(), "fb.resnet.torch": FbResnetInit()}
