"""The interactive HTML map, one module per job.

Numbers as text (:mod:`.format`), template-safe folium elements
(:mod:`.elements`), themes and legends (:mod:`.themes`), the side panel
(:mod:`.panel`), compact geometry (:mod:`.geometry`), the data the map's
script draws (:mod:`.data`), the trajectory chart (:mod:`.chart`), the
assembly of the page (:mod:`.assemble`) and the outputs index (:mod:`.index`).
The map's own script and style are in ``assets/``.
"""
