"""Analyse: indicators, statistics and targets computed from ingested households.

Poverty and deprivation per kelurahan (:mod:`.indicators`, :mod:`.deprivation`),
kelurahan hot spots (:mod:`.hotspots`), sub-kelurahan pockets from H3 cells
(:mod:`.pockets`), the priority composite (:mod:`.priority`), programme
eligibility, coverage, overlap and the shared target list (:mod:`.eligibility`,
:mod:`.matching`, :mod:`.programmes`), and targets, reconciliation and
snapshot changes (:mod:`.targets`). Analyse touches no file and imports
nothing from publish.
"""
