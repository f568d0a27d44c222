"""Ingest: read the inputs and make them trustworthy.

Boundaries (:mod:`.boundaries`, checked by :mod:`.boundary_checks`), household
registers (:mod:`.tables` reads files, :mod:`.headers` maps headers,
:mod:`.households` assembles registers, :mod:`.members` adds the member
sheets), validation with a quarantine row per rejected household
(:mod:`.validate`), and the spatial join to kelurahan (:mod:`.join`).
Ingest imports nothing from analyse or publish.
"""
