"""Supervision models (大数据法律监督模型) over agency data, the clues they find, and the two-way clue exchange.

``spec`` reads and validates model files; ``compile`` turns a model into set-based SQL; ``run`` stores hits
as clues; ``decisions`` accepts and rejects them (a case-registry draft on acceptance); ``exchange``
answers agencies' clue transfers and refers misconduct clues to the supervisory commission; ``followup``
turns look-back evidence into a reopened follow-up; ``figures`` counts hits and cases opened from clues.
"""
