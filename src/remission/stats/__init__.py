"""Survival and competing-risk estimators on arrays (NumPy/SciPy), matching R's ``survival`` and ``cmprsk``.

Every estimator is a pure function of arrays that returns a result object; result objects render
as text, JSON-ready dicts and HTML (see :mod:`remission.stats.results`). Input problems raise
:class:`remission.record.InputError` naming the argument and what is wrong.
"""
