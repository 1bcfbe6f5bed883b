"""fatpack: one wheel with native payloads for every platform, built on one Linux machine.

Pipeline: config -> targets -> SDK for the target Python -> builder -> payloads -> assembler -> artifact.
"""

__version__ = "0.1.0"
