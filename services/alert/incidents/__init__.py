"""Incidents: one record per event, from the alerts that report it.

Read in this order: ``identity`` (which alerts report one event: the incident id an alert
carries), ``model`` (the reports, the state kept per incident and the ``Tracker`` that folds
reports into records), ``agent`` (the ``track`` agent: the table, the sends, what a crash
cannot repeat) and ``cap`` (the records as CAP 1.2 documents and an Atom feed).
"""
