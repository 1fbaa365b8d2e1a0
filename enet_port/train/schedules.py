"""Learning-rate and weight-decay recipes: the ``paramsForEpoch`` functions and how train uses them.

Ports ``paramsForEpoch`` of imagenet-multiGPU.torch ``train.lua`` (the regime tables), the
seed's stateful V6 and V7 rules, the V12 fast and slow rules, and fb.resnet.torch's
``Trainer:learningRate`` step rule; :data:`RECIPE_DEFAULTS` holds the options a recipe brings
with it (fb.resnet.torch's ``opts.lua`` defaults where they differ from imagenet-multiGPU.torch's). Each rule is called once per epoch, in order, and returns
``(params, new_regime)`` exactly as the Lua function does; :func:`plan` then applies the Lua
trainer's rule: a fresh optimState (momentum reset) only when ``new_regime`` is true, otherwise
the previous state, and so the previous LR and WD, stay in force. Rules compound as written
(``lr = lr * 0.9^(epoch-1)`` multiplies onto the previous epoch's lr).
"""
from dataclasses import dataclass

from ..errors import SpecError

# start, end, LR, WD: imagenet-multiGPU.torch's table (ENet V2)
REGIMES_55 = ((1, 18, 1e-2, 5e-4), (19, 29, 5e-3, 5e-4), (30, 43, 1e-3, 0.0),
              (44, 52, 5e-4, 0.0), (53, 1e8, 1e-4, 0.0))
# the seed's faster table (ENet V3)
REGIMES_FAST = ((1, 10, 1e-2, 5e-4), (11, 15, 5e-3, 5e-4), (16, 20, 1e-3, 0.0),
                (21, 30, 5e-4, 0.0), (31, 1e8, 1e-4, 0.0))
# start, end, WD: the V6 rule's weight-decay table
V6_WD = ((1, 18, 5e-4), (19, 29, 5e-4), (30, 43, 0.0), (44, 52, 0.0), (53, 1e8, 0.0))


class RegimeTable:
    """imagenet-multiGPU.torch: a manual -LR disables the table; a row's first epoch is new."""

    def __init__(self, rows, LR, nEpochs, weightDecay=None):
        self.rows, self.manual_lr = rows, LR

    def __call__(self, epoch):
        if self.manual_lr != 0.0:
            return {}, False
        for first, last, lr, wd in self.rows:
            if first <= epoch <= last:
                return {"learningRate": lr, "weightDecay": wd}, epoch == first
        return None, False


class StatefulRule:
    """The shape the seed's V6/V7 and the V12 rules share: ``lr`` lives across calls."""

    def __init__(self, LR, nEpochs, weightDecay=None):
        self.manual_lr, self.n_epochs, self.lr = LR, nEpochs, None

    def __call__(self, epoch):
        if self.manual_lr != 0.0 and epoch == 1:
            self.lr = self.manual_lr
            return {}, False
        if epoch == 1:
            self.lr = 0.1
            return self.first_epoch()
        if self.lr is None:
            raise ScheduleError(f"the rule's lr is nil at epoch {epoch}: Lua starts it at epoch 1")
        return self.later_epoch(epoch)

    def first_epoch(self):
        return {"learningRate": self.lr, "weightDecay": 1e-4}, False


class LinearV6(StatefulRule):
    def first_epoch(self):
        return {}, False

    def later_epoch(self, epoch):
        self.lr = self.lr * (1 - epoch / self.n_epochs)
        for first, last, wd in V6_WD:
            if first <= epoch <= last:
                return {"learningRate": self.lr, "weightDecay": wd}, True
        return None, False


class ExpV7(StatefulRule):
    def later_epoch(self, epoch):
        self.lr = self.lr * 0.9 ** (epoch - 1)
        return {"learningRate": self.lr, "weightDecay": 1e-4}, True


class V12Fast(StatefulRule):
    def later_epoch(self, epoch):
        self.lr = self.lr * 0.95 ** (epoch - 1)
        return {"learningRate": self.lr, "weightDecay": 1e-4 if epoch <= 7 else 0.0}, True


class V12Slow(StatefulRule):
    def later_epoch(self, epoch):
        if epoch <= 15:
            return {"learningRate": self.lr, "weightDecay": 1e-4}, True
        self.lr = self.lr * 0.95 ** (epoch - 15)
        return {"learningRate": self.lr, "weightDecay": 0.0}, True


class FbResnetStep:
    """fb.resnet.torch: LR * 0.1^floor((epoch-1)/30) (LR / 10 at epochs 31 and 61) with
    -weightDecay, set every epoch on one persistent optimState (momentum kept), Nesterov momentum.
    -LR 0 and no -weightDecay mean the recipe's defaults."""

    keeps_momentum = True
    nesterov = True

    def __init__(self, LR, nEpochs, weightDecay=None):
        defaults = RECIPE_DEFAULTS["fb.resnet.torch"]
        self.base = LR if LR != 0.0 else defaults["LR"]
        self.wd = weightDecay if weightDecay is not None else defaults["weightDecay"]

    def __call__(self, epoch):
        return {"learningRate": self.base * 0.1 ** ((epoch - 1) // 30), "weightDecay": self.wd}, True


# option defaults a recipe brings (fb.resnet.torch opts.lua, and its README's ImageNet batch of
# 256); the command line wins over them. "pipeline": the data pipeline (fb_transforms.py).
RECIPE_DEFAULTS = {
    "fb.resnet.torch": {"nEpochs": 90, "batchSize": 256, "LR": 0.1, "weightDecay": 1e-4,
                        "momentum": 0.9, "pipeline": "fb"},
}

RECIPES = {
    "regimes-55": lambda LR, n, wd=None: RegimeTable(REGIMES_55, LR, n),
    "regimes-fast": lambda LR, n, wd=None: RegimeTable(REGIMES_FAST, LR, n),
    "linear-v6": LinearV6,
    "exp-v7": ExpV7,
    "v12-fast": V12Fast,
    "v12-slow": V12Slow,
    "fb.resnet.torch": FbResnetStep,
}

# the Lua source each recipe ports, for the parity tests and `enet-port schedule`
LUA_FILES = {
    "regimes-55": "legacy_lua/schedules/regimes_55.lua",
    "regimes-fast": "legacy_lua/schedules/regimes_fast.lua",
    "linear-v6": "legacy_lua/schedules/linear_v6.lua",
    "exp-v7": "legacy_lua/schedules/exp_v7.lua",
    "v12-fast": "legacy_lua/schedules/v12_fast.lua",
    "v12-slow": "legacy_lua/schedules/v12_slow.lua",
    "fb.resnet.torch": "legacy_lua/schedules/fb_resnet_step.lua",
}


class ScheduleError(ValueError):
    """A recipe name that does not exist, or a rule Lua itself could not evaluate."""


@dataclass
class EpochParams:
    epoch: int
    lr: float
    wd: float
    new_regime: bool
    momentum_reset: bool

    def as_dict(self):
        return {"epoch": self.epoch, "lr": self.lr, "wd": self.wd, "new_regime": self.new_regime,
                "momentum_reset": self.momentum_reset}


def check_spec_recipe(spec):
    """The spec's recipe must name one of :data:`RECIPES`; returns the spec."""
    if spec.recipe not in RECIPES:
        raise SpecError(spec.path, "recipe", f"unknown recipe '{spec.recipe}' (known: {', '.join(sorted(RECIPES))})")
    return spec


def make_rule(recipe, LR, nEpochs, weightDecay=None):
    """The recipe's paramsForEpoch, given what the Lua ones read from ``opt`` (``weightDecay``:
    None for "not given"; only fb.resnet.torch's rule reads it)."""
    if recipe not in RECIPES:
        raise ScheduleError(f"unknown recipe '{recipe}' (known: {', '.join(sorted(RECIPES))})")
    return RECIPES[recipe](LR, nEpochs, weightDecay)


def with_recipe_defaults(opt, recipe, keep):
    """``opt`` with ``recipe``'s :data:`RECIPE_DEFAULTS` for every key not in ``keep`` (the
    options the user gave, and any other source that must win, e.g. a resumed run's options)."""
    return {**opt, **{k: v for k, v in RECIPE_DEFAULTS.get(recipe, {}).items() if k not in keep}}


def plan(recipe, nEpochs, LR=0.0, weightDecay=5e-4, epochNumber=1, last=None, start=None,
         keep_momentum=False, lr_scale=1.0):
    """LR/WD in force for epochs epochNumber..last (default epochNumber+nEpochs-1).

    The rule is called for every epoch from 1, so stateful rules compound as in an uninterrupted
    run. At ``epochNumber`` the optimState is ``start`` (a resumed or loaded state's lr, wd) or,
    as train.lua builds it, ``-LR``/``-weightDecay``; it changes only when the rule starts a new
    regime, which also resets momentum unless the recipe or ``keep_momentum`` keeps it.
    ``lr_scale`` multiplies every LR (``-LR`` and the rule's; ``start`` is already scaled): every
    rule is linear in its LRs, so this is the rule run with scaled ones.
    """
    rule = make_rule(recipe, LR, nEpochs, weightDecay)
    last = epochNumber + nEpochs - 1 if last is None else last
    lr, wd = start if start is not None else (LR * lr_scale, weightDecay)
    keeps = keep_momentum or getattr(rule, "keeps_momentum", False)
    rows = []
    for epoch in range(1, last + 1):
        params, new_regime = rule(epoch)
        if epoch < epochNumber:
            continue
        if new_regime:
            lr, wd = params["learningRate"] * lr_scale, params["weightDecay"]
        rows.append(EpochParams(epoch, lr, wd, bool(new_regime), bool(new_regime) and not keeps))
    return rows


def uses_nesterov(recipe):
    return getattr(RECIPES.get(recipe), "nesterov", False)
