"""The input size of an imported model: the one given (``--input``, once per graph input), else
the first the Torch7 shape rules accept of what the file shows and what its first modules imply.

Lua counterpart: none; a Torch7 file does not say what it takes. The candidates, in order: the
stored input (``gradInput``, with and without its batch dimension), the first cudnn ``iSize``,
the shape the first module implies (``Linear(3, ...)``: a vector of 3; ``TemporalConvolution(13,
...)``: frames of 13; a convolution's ``nInputPlane``: that many planes at 224x224; a
``OneHot``: one class index per sample, ``()``), 3x224x224;
then the smallest square image (or number of frames) that fits, for models that flatten a fixed
size into a Linear layer. A graph with several inputs takes one shape per input: the shape its
readers imply, or, where nothing says, each of the other inputs' shapes.
"""
import itertools

from ..errors import SpecError
from ..model.implied_input import LOOKUPS, first_implied, first_implying
from ..model.spec import check_shapes
from .reader import T7Error

DEFAULT = (3, 224, 224)
SEARCHED = range(1, 513)  # square sizes (or frame counts) tried last
MAX_COMBINATIONS = 64


def pick_input(tree, converted, given, path):
    """``(input shape, output shape)``: a tuple for one input, a list of tuples for several."""
    if given is not None:
        return given, check_shapes(tree, given)
    first_error = None
    for shape in itertools.chain(_candidates(tree, converted), _searched(tree)):
        try:
            return shape, check_shapes(tree, shape)
        except SpecError as exc:
            first_error = first_error or exc
    raise T7Error(path, f"no input size fits the model (give one with --input, once per graph input): {first_error}")


def _candidates(tree, converted):
    graph = _top_graph(tree)
    if graph is not None and len(graph.args[0]) > 1:
        yield from _graph_candidates(graph)
        return
    stored = [converted.stored_input, converted.stored_input[1:]] if converted.stored_input else []
    stored += [size[1:] for size in converted.sizes[:1]]
    for shape in stored:
        if 0 < len(shape) < 3:
            yield (1,) * (3 - len(shape)) + tuple(shape)  # MNIST's stored 28x28 is one plane
        if 0 < len(shape) <= 3:
            yield tuple(shape)
    if first_implied(tree) is not None:
        yield first_implied(tree)
    yield DEFAULT


def _searched(tree):
    """The smallest fixed size: square images with the implied planes (or 3), or a number of
    frames (of the implied frame size, or of the implied vector), or of indices (a LookupTable)."""
    first = first_implying(tree)
    if first is not None and first.name in LOOKUPS:
        return ((s,) for s in SEARCHED)
    shape = first_implied(tree) or DEFAULT
    if len(shape) == 3:
        return ((shape[0], s, s) for s in SEARCHED)
    if len(shape) == 2:
        return ((s, shape[1]) for s in SEARCHED)
    return ((s, shape[0]) for s in SEARCHED)  # a step's vector: a sequence of them (rnn's Sequencer)


def _top_graph(tree):
    nodes = [n for n in tree.walk() if n is not tree and n.name != "nn.Sequential"]
    return nodes[0] if nodes and nodes[0].name == "nn.gModule" else None


def _graph_candidates(graph):
    """One shape per graph input: what the first module reading it implies (through plain
    Identity nodes); an input nothing sizes takes each shape another input has."""
    known = [_reader_shape(graph, position) for position in graph.args[0]]
    others = list(dict.fromkeys(s for s in known if s is not None)) or [DEFAULT]
    choices = [[s] if s is not None else others for s in known]
    for combination in itertools.islice(itertools.product(*choices), MAX_COMBINATIONS):
        yield list(combination)


def _reader_shape(graph, position):
    node = graph.children[position]
    if node.name != "nn.Identity":
        return first_implied(node)
    for reader_position, reader in enumerate(graph.children):
        if reader.inputs == [position]:
            shape = _reader_shape(graph, reader_position)
            if shape is not None:
                return shape
    return None
