"""Only what pyproject.toml cannot say: the starter files of the top-level templates/ folder (what
`mlgate init` copies) ship inside the package as mlgate/starter, next to mlgate's own modules."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages("src"), "mlgate.starter"],
    package_dir={"": "src", "mlgate.starter": "templates"},
)
