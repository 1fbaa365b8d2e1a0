import re
from pathlib import Path

from setuptools import find_packages, setup

# the version lives in one place: enet_port/__init__.py
VERSION = re.search(r'__version__ = "([^"]+)"', (Path(__file__).parent / "enet_port" / "__init__.py").read_text())[1]

EXPORT = ["onnx>=1.16", "onnxruntime>=1.18", "onnxscript>=0.2"]

setup(
    name="enet-port",
    version=VERSION,
    description="A faithful PyTorch port of the Lua-Torch7 'Training ENet on ImageNet' work",
    packages=find_packages(include=["enet_port", "enet_port.*"]),
    package_data={"enet_port": ["lua/*.lua"]},
    python_requires=">=3.10",
    install_requires=[
        "torch>=2.11",
        "torchvision>=0.26",
        "pillow",
        "numpy",
        "click>=8",
        "lupa>=2.0",
        "tqdm",
        "matplotlib",
        "simplejpeg>=1.8",
    ],
    # enet-port export / predict --backend onnxruntime: the dynamo exporter needs onnxscript; the
    # tests take the export extra too, so that CI runs the export tests instead of skipping them
    extras_require={"test": ["pytest>=9.0,<10", *EXPORT], "export": EXPORT},
    entry_points={"console_scripts": ["enet-port=enet_port.cli:main"]},
)
