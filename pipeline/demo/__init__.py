"""The demo and seed-region generator: synthetic boundaries, households and lists.

Not part of the analysis: it writes input files (:mod:`.inputs`) that the
pipeline then reads like any register.
"""
