"""OCHA's Syria community list (COD-PS / HNAP "admin4" communities, ~7.6k) as CSV.

HDX publishes it as CSV and xlsx, one row per community, with the common-operational-dataset column
names: `admin1Pcode, admin1Name_en, admin1Name_ar`, the same for admin2 and admin3, the community's
`admin4Pcode, admin4Name_en, admin4Name_ar` (sometimes `admin4RefName`, `admin4AltName1_en`…), and
`Latitude, Longitude`. An HXL hashtag row under the header (`#adm1+code`…) is skipped. Column names
are matched without regard to case. xlsx needs openpyxl, which is not installed: save the sheet as
CSV (UTF-8) instead.

OCHA writes second spellings into the name ("Tall Rifaat (Tal Refaat)", "X / Y"); each part
becomes a name. Merge policy "alias-or-add": a community within 2 km of a known locality with a
matching name key gives it its names and, when it has none, its community P-code; the others are
added (id `ocha:<P-code>`, source "ocha-communities").
"""

from __future__ import annotations

import csv
import io
import re

from geodata.place import AdminRef, Place
from geodata.sources import ImportResult, Source, SourceError, basename, clean_names, head, register

SOURCE = "ocha-communities"
_SPLIT = re.compile(r"\s*(?:/|\(|\)|\||;)\s*")


def _columns(fieldnames: list[str]) -> dict[str, str]:
    return {f.strip().lower(): f for f in fieldnames if f}


def _get(row: dict, cols: dict[str, str], *names: str) -> str:
    for n in names:
        key = cols.get(n.lower())
        if key and (row.get(key) or "").strip():
            return row[key].strip()
    return ""


def split_name(value: str) -> list[str]:
    """"Tall Rifaat (Tal Refaat)" → ["Tall Rifaat", "Tal Refaat"]; "X / Y" → ["X", "Y"]."""
    return [p for p in _SPLIT.split(value or "") if p.strip()]


def _admin(row: dict, cols: dict[str, str], level: int) -> AdminRef | None:
    code = _get(row, cols, f"admin{level}Pcode", f"ADM{level}_PCODE")
    en = _get(row, cols, f"admin{level}Name_en", f"ADM{level}_EN")
    ar = _get(row, cols, f"admin{level}Name_ar", f"ADM{level}_AR")
    return AdminRef("", ar, en, code) if code or en or ar else None


def import_ocha_communities(path: str, progress=None) -> ImportResult:
    """Import an OCHA community list CSV."""
    if basename(path).endswith((".xlsx", ".xls")):
        raise SourceError(f"{path}: reading xlsx needs the openpyxl package, which is not installed; "
                          "open it and save the sheet as CSV (UTF-8), then build with that file")
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot read the community list ({exc})") from exc
    reader = csv.DictReader(io.StringIO(text))
    cols = _columns(reader.fieldnames or [])
    missing = [c for c in ("admin4pcode", "latitude", "longitude") if c not in cols]
    if missing:
        raise SourceError(f"{path}: not an OCHA community list (missing columns: {', '.join(missing)})")
    result = ImportResult(source=SOURCE)
    for line, row in enumerate(reader, start=2):
        if (row.get(reader.fieldnames[0]) or "").startswith("#"):
            continue  # the HXL hashtag row
        if progress:
            progress(1)
        try:
            pcode = _get(row, cols, "admin4Pcode")
            en = split_name(_get(row, cols, "admin4Name_en", "admin4RefName"))
            ar = split_name(_get(row, cols, "admin4Name_ar"))
            alts = [_get(row, cols, f"admin4AltName{i}_{lang}") for i in (1, 2) for lang in ("en", "ar")]
            if not pcode or not (en or ar):
                raise ValueError("no P-code or name")
            lat, lon = float(_get(row, cols, "Latitude")), float(_get(row, cols, "Longitude"))
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError(f"coordinates out of range ({lat}, {lon})")
            name_en, name_ar = (en or [""])[0], (ar or [""])[0]
            result.places.append(Place(
                id=f"ocha:{pcode}",
                name_en=name_en or name_ar,
                name_ar=name_ar,
                lat=lat,
                lon=lon,
                kind="locality",
                names=tuple(n for n in clean_names(en[1:], ar[1:], alts) if n not in (name_en, name_ar)),
                admin1=_admin(row, cols, 1),
                admin2=_admin(row, cols, 2),
                pcode=pcode,
                source=SOURCE,
            ))
        except (KeyError, TypeError, ValueError) as exc:
            result.error(f"{path} line {line}", f"skipped ({exc.__class__.__name__}: {exc})")
    return result


@register
class OchaCommunities(Source):
    name = SOURCE
    title = "OCHA Syria community list (COD-PS/HNAP): Arabic and English names, community and admin P-codes"
    inputs = "an OCHA community list .csv (admin4Pcode, Latitude, Longitude columns)"
    # HDX moves resource files now and then: `gazetteer fetch --source ocha-communities --url URL`
    # takes the CSV link from the dataset page instead.
    url = "https://data.humdata.org/dataset/syrian-arab-republic-pop-places/resource/download/syr_pplp_adm4_unocha.csv"
    filename = "syr_communities_ocha.csv"
    page = "https://data.humdata.org/dataset/syrian-arab-republic-pop-places"
    priority = 4
    villages = True
    policy = "alias-or-add"
    attribution = "OCHA (CC BY-IGO) via HDX"

    def detect(self, path: str) -> bool:
        base = basename(path)
        if base.endswith((".xlsx", ".xls")):
            return "communit" in base or "pplp" in base
        if not base.endswith(".csv"):
            return False
        first_line = head(path, 4096).split("\n", 1)[0].lower()
        return "admin4pcode" in first_line

    def read(self, path, progress=None) -> ImportResult:
        return import_ocha_communities(path, progress)
