"""Correlation figures: precision/recall on the labelled set, query latency, ingest overhead.

    PYTHONPATH=src .venv/bin/python bench/bench_correlate.py            # 100k and 1M names
    PYTHONPATH=src .venv/bin/python bench/bench_correlate.py --sizes 100000 --quick

1. Precision and recall of ``match_names`` on tests/fixtures/correlate/name_pairs.csv, per
   split (calib and dev: rules and thresholds were set on them; holdout and final: written
   before the rules they measure), per kind, on the kinship-order and distinct-person
   negatives (false merges), with and without the alias tables; the blocking recall
   (positive pairs sharing a key); the reliability of the calibrated scores on the
   held-out splits. ``--calibrate`` refits ``data/calibration.json`` on calib + dev.
2. ``CorrelationIndex.query_name`` latency over N synthetic person names (deterministic
   generator, seeded), indexed in a SQLite file, queried with respelled variants.
3. Ingest overhead: a baseline ingest (parse, RFC 8785 canonical form, Ed25519 verify,
   INSERT, commit) with and without ``CorrelationIndex.add`` in the same transaction.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

from liaison.correlate import THRESHOLDS, CorrelationIndex, blocking_keys, match_names
from liaison.correlate.calibration import Record, fit_calibration, reliability
from liaison.signing import SigningKey, canonical, verify
from liaison.store.sqlite import open_db

PAIRS = Path(__file__).parents[1] / "tests" / "fixtures" / "correlate" / "name_pairs.csv"

GIVEN = [
    "Mohamed",
    "Ahmed",
    "Amadou",
    "Hamadoun",
    "Moussa",
    "Ibrahim",
    "Oumar",
    "Ousmane",
    "Abdoulaye",
    "Souleymane",
    "Youssouf",
    "Boubacar",
    "Aliou",
    "Hassan",
    "Hussein",
    "Issa",
    "Idrissa",
    "Mahmoud",
    "Mamadou",
    "Seydou",
    "Sidi",
    "Salem",
    "Khalid",
    "Bilal",
    "Alghabass",
    "Iyad",
    "Mokhtar",
    "Yahia",
    "Hamza",
    "Zakaria",
    "Moustapha",
    "Ismail",
    "Abdelkader",
    "Abdelaziz",
    "Abderrahmane",
    "Abdelmalek",
    "Adnan",
    "Talha",
    "Djamel",
    "Houka",
    "Alhassane",
    "Baba",
    "Bakary",
    "Cheick",
    "Daouda",
    "Fousseyni",
    "Hama",
    "Harouna",
    "Lassana",
    "Modibo",
    "Nouhoum",
    "Sekou",
    "Tiemoko",
    "Yacouba",
    "Adama",
    "Aminata",
    "Fatoumata",
    "Mariam",
    "Aicha",
    "Kadidia",
    "Hawa",
    "Oumou",
    "Rokia",
    "Assimi",
    "Sadio",
    "Malick",
    "Tiena",
    "Hamid",
    "Intalla",
    "Mossa",
    "Agaly",
    "Ghabdi",
    "Elmehdi",
    "Aghaly",
    "Rhissa",
]
FAMILY_ROOTS = [
    "Traore",
    "Diallo",
    "Cisse",
    "Maiga",
    "Toure",
    "Kone",
    "Coulibaly",
    "Keita",
    "Sangare",
    "Sidibe",
    "Diarra",
    "Dicko",
    "Haidara",
    "Tall",
    "Sissoko",
    "Konate",
    "Camara",
    "Dembele",
    "Ba",
    "Sow",
    "Barry",
    "Bah",
    "Kouyate",
    "Doumbia",
    "Sanogo",
    "Ghali",
    "Koufa",
    "Belmokhtar",
    "Droukdel",
    "Sahraoui",
    "Acharatoumane",
    "Intalla",
    "Hamaha",
    "Ghazouani",
    "Abdelaziz",
    "Ould",
    "Salem",
    "Mataly",
    "Wanasnat",
    "Galla",
    "Okacha",
    "Hammam",
    "Goita",
    "Sawadogo",
    "Ouedraogo",
]
ONSETS = [
    "b",
    "d",
    "f",
    "g",
    "gh",
    "h",
    "k",
    "kh",
    "l",
    "m",
    "n",
    "r",
    "s",
    "sh",
    "t",
    "w",
    "y",
    "z",
    "dj",
    "ch",
]
NUCLEI = ["a", "e", "i", "o", "ou", "ai"]


def synthetic_names(n: int, seed: int = 7) -> Iterator[str]:
    """``n`` person names, deterministic for a seed: given [particle] family."""
    rng = random.Random(seed)
    for _ in range(n):
        given = rng.choice(GIVEN)
        if rng.random() < 0.4:
            family = rng.choice(FAMILY_ROOTS)
        else:
            family = "".join(
                rng.choice(ONSETS) + rng.choice(NUCLEI) for _ in range(rng.randint(2, 3))
            ).capitalize()
            family += rng.choice(("", "", "n", "r", "l", "ma", "ko"))
        particle = rng.choice(("", "", "", "Ag ", "Ould ", "ben "))
        yield f"{given} {particle}{family}"


PARTICLES = ("Ag", "Ould", "ben")


def respell(name: str, rng: random.Random) -> str:
    """A plausible variant spelling of ``name`` (what another analyst would write).

    The kinship particles keep their spelling (only their case changes): "ben" respelled
    "ban" would be no particle any more.
    """
    swaps = [("ou", "u"), ("y", "i"), ("dj", "j"), ("ch", "sh"), ("e", "a"), ("ss", "s")]
    chosen = rng.sample(swaps, 3)
    words = []
    for word in name.split():
        if word not in PARTICLES:
            for a, b in chosen:
                word = word.replace(a, b)
        words.append(word)
    return " ".join(words).replace("Ag ", "ag ").replace("Ould ", "ould ")


# --- 1. labelled set -----------------------------------------------------------------------
def _rows() -> list[dict[str, str]]:
    with PAIRS.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _prf(subset: list[dict[str, str]], aliases: bool = True) -> tuple[float, float, float, int]:
    tp = fp = fn = 0
    for r in subset:
        same = match_names(r["a"], r["b"], r["kind"], aliases=aliases).same
        gold = r["same"] == "1"
        tp += same and gold
        fp += same and not gold
        fn += gold and not same
    p = tp / (tp + fp) if tp + fp else 1.0
    rec = tp / (tp + fn) if tp + fn else 1.0
    return p, rec, 2 * p * rec / (p + rec) if p + rec else 0.0, fp


KINSHIP_NEGATIVES = ("hard-neg-kinship", "hard-neg-distinct")


def labelled_set() -> None:
    rows = _rows()
    hard = [r for r in rows if r["category"] in KINSHIP_NEGATIVES]
    print(f"labelled set: {len(rows)} pairs ({sum(r['same'] == '1' for r in rows)} same), "
          f"{sum(r['category'].startswith('hard-neg') for r in rows)} hard negatives, of which"
          f" {len(hard)} kinship-order or distinct-person")  # fmt: skip
    print(f"  {'subset':<34}{'n':>5}{'precision':>11}{'recall':>9}{'F1':>7}{'false merges':>14}")
    held = ("holdout", "final")
    groups: list[tuple[str, list[dict[str, str]], bool]] = [
        ("all", rows, True),
        *((f"split={s}", [r for r in rows if r["split"] == s], True)
          for s in ("calib", "dev", "holdout", "final")),
        *((f"kind={k}", [r for r in rows if r["kind"] == k], True)
          for k in ("person", "organization", "place")),
        ("cross-script pairs", [r for r in rows if _arabic(r["a"] + r["b"])], True),
        ("kinship/distinct negatives", hard, True),
        ("  of which final", [r for r in hard if r["split"] == "final"], True),
        ("all, no alias tables", rows, False),
        ("final, no alias tables", [r for r in rows if r["split"] == "final"], False),
        ("kinship/distinct neg., no alias", hard, False),
    ]  # fmt: skip
    for label, subset, aliases in groups:
        p, rec, f1, fp = _prf(subset, aliases)
        print(f"  {label:<34}{len(subset):>5}{p:>11.3f}{rec:>9.3f}{f1:>7.3f}{fp:>14}")
    positives = [r for r in rows if r["same"] == "1"]
    shared = sum(
        bool(blocking_keys(r["a"], r["kind"]) & blocking_keys(r["b"], r["kind"])) for r in positives
    )
    print(f"  blocking recall (positive pairs sharing a key): {shared}/{len(positives)}"
          f" = {shared / len(positives):.3f}")  # fmt: skip
    scored = [
        (match_names(r["a"], r["b"], r["kind"]).score, r["same"] == "1")
        for r in rows
        if r["split"] in held
    ]
    brier, ece, table = reliability(scored)
    print(f"  calibration on the held-out splits ({len(scored)} pairs): Brier {brier:.3f},"
          f" expected calibration error {ece:.3f}")  # fmt: skip
    for lo, mean, rate, n in table:
        print(f"    score in [{lo:.1f}, {lo + 0.2:.1f}): mean score {mean:.2f},"
              f" share truly same {rate:.2f} (n={n})")  # fmt: skip


def calibrate() -> None:
    """Fit data/calibration.json on the calib and dev splits, and write it."""
    rows = [r for r in _rows() if r["split"] in ("calib", "dev")]
    records: list[Record] = []
    for r in rows:  # as the node decides: with the alias tables
        m = match_names(r["a"], r["b"], r["kind"])
        if m.similarity is not None:
            records.append((r["kind"], m.rule, m.same, m.similarity, r["same"] == "1"))
    for r in rows:  # acronyms decide only when the tables are left out
        m = match_names(r["a"], r["b"], r["kind"], aliases=False)
        if m.rule == "acronym":
            records.append((r["kind"], m.rule, m.same, 1.0, r["same"] == "1"))
    cal = fit_calibration(records, THRESHOLDS, fitted_on=f"calib+dev splits, {len(rows)} pairs")
    path = Path(__file__).parents[1] / "src" / "liaison" / "correlate" / "data" / "calibration.json"
    path.write_text(json.dumps(cal.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}: {cal.to_json()}")


def _arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


# --- 2. query latency ------------------------------------------------------------------
def latency(n: int, queries: int, workdir: Path) -> Path:
    path = workdir / f"names-{n}.db"
    conn = open_db(path)
    conn.execute("PRAGMA synchronous=NORMAL")
    index = CorrelationIndex(conn)
    names = list(synthetic_names(n))
    t0 = time.perf_counter()
    index.index_names(
        (f"identity--{i:08d}", "local", "person", name) for i, name in enumerate(names)
    )
    build = time.perf_counter() - t0
    keys = conn.execute("SELECT COUNT(*) FROM corr_spelling_key").fetchone()[0]
    spellings = conn.execute("SELECT COUNT(*) FROM corr_spelling").fetchone()[0]
    size = path.stat().st_size / 1e6
    print(f"\n{n:,} names indexed in {build:.1f} s ({n / build:,.0f} names/s), "
          f"{spellings:,} distinct spellings, {keys:,} blocking keys, {size:.0f} MB")  # fmt: skip
    rng = random.Random(11)
    timings: list[float] = []
    cpu: list[float] = []
    hits = found_self = 0
    for _ in range(queries):
        i = rng.randrange(n)
        q = respell(names[i], rng)
        t, c0 = time.perf_counter(), time.process_time()
        got = index.query_name(q, "person", limit=50)
        timings.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        hits += len(got)
        found_self += any(c.name == names[i] for c in got)
    timings.sort()
    cpu.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(0.95 * len(timings)) - 1]
    cpu95 = cpu[int(0.95 * len(cpu)) - 1]
    print(f"  query_name over {queries} respelled names (wall clock): p50 {p50:.1f} ms,"
          f" p95 {p95:.1f} ms,"
          f" max {timings[-1]:.1f} ms (CPU time p50 {statistics.median(cpu):.1f} ms,"
          f" p95 {cpu95:.1f} ms); original spelling found {found_self}/{queries},"
          f" {hits / queries:.1f} hits/query")  # fmt: skip
    conn.close()
    return path


# --- 3. ingest overhead ----------------------------------------------------------------
def ingest(db: Path | None, objects: int, workdir: Path) -> None:
    key = SigningKey.generate()
    rng = random.Random(5)
    names = list(synthetic_names(objects, seed=99))
    docs: list[bytes] = []
    for i, name in enumerate(names):
        obj = {
            "type": "threat-actor" if i % 2 else "indicator",
            "spec_version": "2.1",
            "id": f"{'threat-actor' if i % 2 else 'indicator'}--00000000-0000-4000-8000-{i:012d}",
            "created": "2026-03-01T00:00:00.000Z",
            "modified": "2026-03-01T00:00:00.000Z",
            "name": name,
            "resource_level": "individual",
            "pattern": f"[ipv4-addr:value = '10.{rng.randrange(4)}.{rng.randrange(50)}.1']",
            "pattern_type": "stix",
            "valid_from": "2026-03-01T00:00:00.000Z",
            "x_phone": f"+2237{rng.randrange(6000000, 6999999)}",
        }
        docs.append(orjson.dumps({"object": obj, "sig": key.sign(canonical(obj))}))

    def run(with_index: bool, sync: str) -> tuple[float, float]:
        target = workdir / f"ingest-{with_index}-{sync}.db"
        if db is not None:
            target.write_bytes(db.read_bytes())
        conn = open_db(target)  # the store's tables, the correlation index's included
        conn.execute(f"PRAGMA synchronous={sync}")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_objects (id TEXT PRIMARY KEY, body BLOB)")
        index = CorrelationIndex(conn) if with_index else None
        in_add = 0.0
        t0 = time.perf_counter()
        for raw in docs:
            doc = orjson.loads(raw)
            obj = doc["object"]
            verify(key.public_key_b64, canonical(obj), doc["sig"])
            conn.execute("BEGIN")
            conn.execute("INSERT INTO bench_objects VALUES (?, ?)", (obj["id"], orjson.dumps(obj)))
            if index is not None:
                t = time.perf_counter()
                index.add(obj, "local")
                in_add += time.perf_counter() - t
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - t0
        conn.close()
        target.unlink()
        return elapsed, in_add

    per = 1000 / objects
    where = "a store holding the index above" if db else "an empty store"
    print(f"\ningest of {objects} signed objects (parse, canonical, verify, insert, commit)"
          f" into {where}:")  # fmt: skip
    for sync in ("FULL", "NORMAL"):
        base = min(run(False, sync)[0] for _ in range(2))
        total, in_add = min(run(True, sync) for _ in range(2))
        print(f"  synchronous={sync:<6} baseline {base * per:.2f} ms/object;"
              f" with correlation {total * per:.2f} ms/object, of which add()"
              f" {in_add * per:.2f} ms = +{in_add / base * 100:.0f} % of the baseline")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated index sizes")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--objects", type=int, default=1000, help="objects for the ingest run")
    parser.add_argument("--quick", action="store_true", help="labelled set and smallest size")
    parser.add_argument(
        "--calibrate", action="store_true", help="fit data/calibration.json and stop"
    )
    args = parser.parse_args()
    if args.calibrate:
        calibrate()
        return
    labelled_set()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.quick:
        sizes = sizes[:1]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        first = None
        for n in sizes:
            db = latency(n, args.queries, work)
            first = first or db
        ingest(first, args.objects, work)


if __name__ == "__main__":
    main()
