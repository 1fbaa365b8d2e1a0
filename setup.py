from setuptools import find_packages, setup

setup(
    name="enet-port",
    version="0.1.0",
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
        "torchfile==0.1.0",
    ],
    extras_require={"test": ["pytest"]},
    entry_points={"console_scripts": ["enet-port=enet_port.cli:main"]},
)
