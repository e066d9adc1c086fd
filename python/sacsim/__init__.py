"""sacsim in Python: single- and dual-atom catalyst models as ase.Atoms.

The Rust library does the work (``sacsim._sacsim``); this layer turns its
results into the objects Python users work with. Lengths in Å, moments in
µB.
"""
from io import StringIO

from . import _sacsim

__version__ = _sacsim.__version__

__all__ = ["build", "sample", "simulate", "detect", "read_image", "analyze", "dataset", "run", "Image", "Sample", "__version__"]


def build(
    name: str,
    metals: "str | list[str] | None" = None,
    cell: "tuple[int, int] | None" = None,
    rect: "tuple[int, int] | None" = None,
    vacuum: float = _sacsim.DEFAULT_VACUUM,
    a: float = _sacsim.DEFAULT_A,
    orientation: int = 0,
    adsorbate: "str | None" = None,
    adsorbate_height: "float | None" = None,
    adsorbate_rotation: float = 0.0,
    mn3_distance: float = _sacsim.DEFAULT_MN3_DISTANCE,
    fix_beyond: "float | None" = None,
    free_shells: "int | None" = None,
    magmom: "dict[str, float] | None" = None,
    allow_small: bool = False,
    model_name: "str | None" = None,
) -> "ase.Atoms":
    """A DFT-ready model (as ``sacsim build``), as an ase.Atoms.

    Parameters
    ----------
    name : str
        A preset (``"l-co1mn1-nc"``, ``"co1-nc"``, ...; ``sacsim build
        --help``) or a site motif (``"mn4"``, ``"mn3"``, ``"m2n6-bridged"``,
        ``"m1m2-n8"``, ...) with ``metals``.
    metals : str or list of str, optional
        The motif's metals in placement order, ``"Co,Mn"`` or
        ``["Co", "Mn"]`` (only with a motif).
    cell : (int, int), optional
        Hexagonal supercell n x m of the primitive cell (default the
        preset's, else 6 x 6).
    rect : (int, int), optional
        Rectangular supercell: n·a along x, m·a·√3 along y (not with
        ``cell``).
    vacuum : float
        Vacuum gap along c (Å).
    a : float
        Graphene lattice constant (Å).
    orientation : int
        In-plane orientation of the motif: 0, 1, 2 (0, 120, 240°).
    adsorbate : str, optional
        A reaction intermediate ``"ADS@SITE"``: ADS one of CO2, COOH, CO,
        H, OH, O, OOH, N2; SITE a metal of the model (top) or ``bridge``,
        e.g. ``"OH@Co"``.
    adsorbate_height : float, optional
        Height of the binding atom above the metal or the metals' midpoint
        (Å; default the library's distance).
    adsorbate_rotation : float
        Rotation of the adsorbate about the surface normal (degrees).
    mn3_distance : float
        Target M-N distance of the out-of-plane MN3 motif (Å).
    fix_beyond : float, optional
        Selective dynamics: freeze atoms farther than this from every
        metal (Å).
    free_shells : int, optional
        Selective dynamics by bonds: the metals, the adsorbate and this
        many bonded N/C shells relax (default 2 with an adsorbate).
    magmom : dict, optional
        Initial moments (µB) overriding the Materials Project defaults,
        e.g. ``{"Co": 1.0}``.
    allow_small : bool
        Accept a site closer than 12 Å to its periodic images.
    model_name : str, optional
        The model's name (``info["sacsim"]["name"]``, the CLI's ``--name``).

    Returns
    -------
    ase.Atoms
        The atoms of ``sacsim build ... --format xyz`` read by ASE: tags 1
        on the site's metals and N, ``FixAtoms`` for atoms fixed by
        selective dynamics, initial magnetic moments, and
        ``info["sacsim"]`` the resolved parameters (as params.json).
    """
    import json

    from ase.io import read

    if isinstance(metals, str):
        metals = [m for m in metals.split(",") if m.strip()]
    text, params = _sacsim.build_xyz(
        name,
        metals=[str(m).strip() for m in (metals or [])],
        cell=None if cell is None else tuple(int(v) for v in cell),
        rect=None if rect is None else tuple(int(v) for v in rect),
        vacuum=float(vacuum),
        a=float(a),
        orientation=int(orientation),
        mn3_distance=float(mn3_distance),
        fix_beyond=fix_beyond,
        free_shells=free_shells,
        magmom=[(str(k), float(v)) for k, v in (magmom or {}).items()],
        allow_small=bool(allow_small),
        adsorbate=adsorbate,
        adsorbate_height=adsorbate_height,
        adsorbate_rotation=float(adsorbate_rotation),
        model_name=model_name,
    )
    atoms = read(StringIO(text), format="extxyz")
    atoms.info["sacsim"] = json.loads(params)
    return atoms


class Image:
    """A simulated HAADF-STEM image with its calibration.

    Attributes
    ----------
    array : numpy.ndarray
        float32, shape (ny, nx): fractions of the beam, or electrons with a
        dose (the values of ``sacsim simulate``'s image.npy).
    pixel_size : (float, float)
        Pixel size (x, y) in Å.
    origin : (float, float)
        The position (x, y) in Å sampled by pixel (0, 0), as sacsim's
        image files record it.
    params : dict
        The imaging and acquisition keys used.
    truth : list of dict or None
        For simulated images, every metal atom of the field (atoms.csv's
        rows: element, z, site, x_A, y_A, z_A, and x_px, y_px where it
        shows in the image, scan distortions included).
    """

    def __init__(self, array, pixel_size, origin, params, truth=None):
        self.array = array
        self.truth = truth
        self.pixel_size = pixel_size
        self.origin = origin
        self.params = params

    def to_hyperspy(self) -> "hyperspy.signals.Signal2D":
        """The image as a hyperspy ``Signal2D`` (hyperspy must be installed).

        Axes ``x`` and ``y`` in nm with the image's scale and origin (the
        axes hyperspy shows for sacsim's calibrated TIFF); the microscope
        settings in hyperspy's metadata (``Acquisition_instrument.TEM``:
        ``beam_energy`` keV, ``convergence_angle`` mrad, ``dwell_time`` s,
        ``magnification`` where known) and every parameter in
        ``original_metadata``.
        """
        try:
            import hyperspy.api as hs
        except ImportError as e:
            raise ImportError("Image.to_hyperspy needs hyperspy: pip install hyperspy") from e
        signal = hs.signals.Signal2D(self.array)
        # hyperspy's signal axes are (x, y) = (columns, rows).
        for axis, name, scale, offset in zip(
            signal.axes_manager.signal_axes, ("x", "y"), self.pixel_size, self.origin
        ):
            axis.name, axis.units = name, "nm"
            axis.scale, axis.offset = scale / 10.0, offset / 10.0
        signal.metadata.General.title = self.params.get("title", "sacsim HAADF-STEM")
        signal.metadata.Signal.quantity = (
            "Intensity (fraction of beam)" if self._unit() == "fraction" else "Intensity (counts)"
        )
        tem = {}
        imaging = self.params.get("imaging", {})
        acquisition = self.params.get("acquisition", {})
        found = self.params.get("metadata", {})
        if "kv" in imaging:
            tem["beam_energy"] = float(imaging["kv"])
        elif "voltage_V" in found:
            tem["beam_energy"] = float(found["voltage_V"]) / 1e3
        if "alpha_mrad" in imaging:
            tem["convergence_angle"] = float(imaging["alpha_mrad"])
        elif "convergence_mrad" in found:
            tem["convergence_angle"] = float(found["convergence_mrad"])
        dwell = acquisition.get("dwell_us", found.get("dwell_us"))
        if dwell is not None:
            tem["dwell_time"] = float(dwell) * 1e-6
        if "magnification" in found:
            tem["magnification"] = float(found["magnification"])
        for key, value in tem.items():
            signal.metadata.set_item(f"Acquisition_instrument.TEM.{key}", value)
        signal.original_metadata.add_dictionary({"sacsim": _plain(self.params)})
        return signal

    def _unit(self):
        """``"fraction"`` for noise-free images, else ``"counts"``."""
        acquisition = self.params.get("acquisition", {})
        if acquisition.get("dose_e_per_a2") is None and "metadata" not in self.params:
            return "fraction"
        return "counts"

    def __repr__(self):
        ny, nx = self.array.shape
        return f"Image({nx} x {ny} px of {self.pixel_size[0]:.4f} x {self.pixel_size[1]:.4f} Å)"


def _plain(value):
    """``value`` with None dropped and tuples as lists (hyperspy's
    metadata trees hold neither None nor tuples)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _toml(table):
    """A flat dict as TOML text (numbers, booleans, strings, lists)."""
    import json

    lines = []
    for key, value in table.items():
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            text = json.dumps([float(v) for v in value])
        elif isinstance(value, str):
            text = json.dumps(value)
        else:
            text = repr(value)
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


def simulate(atoms: "ase.Atoms | Sample", kv: float = 80.0, alpha: float = 30.0, detector: "tuple[float, float]" = (80.0, 200.0), pixel: float = 0.1, dose: "float | None" = None, seed: int = 1, **options) -> "Image":
    """The HAADF-STEM image of ``atoms`` (an ase.Atoms or a :class:`Sample`), as ``sacsim simulate``.

    Parameters
    ----------
    kv : float
        Accelerating voltage (kV).
    alpha : float
        Probe convergence semi-angle (mrad).
    detector : (float, float)
        Annular detector inner and outer semi-angles (mrad).
    pixel : float
        Pixel size (Å).
    dose : float, optional
        Electron dose (e/Å²); None: a noise-free image.
    seed : int
        Seed of every random choice (noise, scan artefacts).
    **options
        Any other key of the ``[imaging]`` or ``[acquisition]`` tables of
        sacsim's configuration files, e.g. ``defocus_angstrom=20``,
        ``shape=(512, 512)``, ``gain=50``.

    Returns
    -------
    Image
        The same array as ``sacsim simulate`` writes for these settings.
    """
    import numpy as np

    acquisition_keys = {
        "probe_current_pa", "dwell_us", "gain", "offset", "dark_noise", "adc_bits",
        "detector_noise", "line_offset", "line_jitter_angstrom", "flyback_angstrom",
        "drift_angstrom", "probe_jitter_angstrom",
    }
    imaging = {"kv": kv, "alpha_mrad": alpha, "detector_mrad": list(detector), "pixel_angstrom": pixel}
    acquisition = {"dose_e_per_a2": dose, "seed": seed}
    for key, value in options.items():
        (acquisition if key in acquisition_keys else imaging)[key] = value
    if isinstance(atoms, Sample):
        # The CLI's sample.xyz bytes.
        result = _sacsim.simulate_xyz(atoms._xyz, _toml(imaging), _toml(acquisition))
    else:
        result = _sacsim.simulate_atoms(
            atoms.numbers.tolist(), atoms.positions.tolist(), atoms.cell[:].tolist(),
            [bool(p) for p in atoms.pbc], [int(t) for t in atoms.get_tags()],
            _toml(imaging), _toml(acquisition),
        )
    import csv

    data, nx, ny, px, origin, truth = result
    array = np.frombuffer(data, dtype="<f4").reshape(ny, nx)
    rows = [
        {k: (v if k == "element" else float(v) if "." in v else int(v)) for k, v in r.items()}
        for r in csv.DictReader(StringIO(truth))
    ]
    return Image(array, px, origin, {"imaging": imaging, "acquisition": acquisition}, rows)


def detect(image: "Image | numpy.ndarray", pixel_size: "float | tuple[float, float] | None" = None, origin: "tuple[float, float]" = (0.0, 0.0), method: str = "classical", net_threshold: "float | None" = None, views: int = 1, elements: "str | None" = None, **settings) -> dict:
    """Atoms in a HAADF image, as ``sacsim detect`` finds them.

    Parameters
    ----------
    image : Image or numpy.ndarray
        An :class:`Image` (its calibration is used) or a 2-D array (ny, nx).
    pixel_size : float or (float, float), optional
        Pixel size in Å; required for a bare array.
    origin : (float, float)
        Position (Å) of pixel (0, 0), for a bare array.
    method : str
        ``"classical"`` or ``"net"`` (the shipped learned detector).
    net_threshold : float, optional
        Heatmap level for ``method="net"`` (default: the shipped model's).
    views : int
        Mirror views averaged by the net (1, 2 or 4).
    elements : str, optional
        Two elements, light first (``"Mn,Co"``): per-atom identity.
    **settings
        Any key of the ``[detect]`` table, e.g. ``threshold=5``.

    Returns
    -------
    dict
        numpy arrays ``x``, ``y`` (Å), ``x_px``, ``y_px``, ``intensity``,
        ``snr`` (z-score, or heatmap level for the net), ``element`` (str or
        None), ``p_heavy``; and ``noise_sigma``, ``frame``, ``settings``.
    """
    import json

    import numpy as np

    if isinstance(image, Image):
        array, px, origin = image.array, image.pixel_size, image.origin
    else:
        array = np.asarray(image)
        if pixel_size is None:
            raise ValueError("pixel_size: give the pixel size in Å for a bare array")
        px = (pixel_size, pixel_size) if np.isscalar(pixel_size) else tuple(pixel_size)
    if array.ndim != 2:
        raise ValueError(f"image: a 2-D array (ny, nx), got shape {array.shape}")
    ny, nx = array.shape
    if elements is not None:
        settings["elements"] = elements
    data = np.ascontiguousarray(array, dtype="<f4").tobytes()
    text = _sacsim.detect_array(
        data, nx, ny, (float(px[0]), float(px[1])), (float(origin[0]), float(origin[1])),
        _toml(settings), method, net_threshold, views,
    )
    result = json.loads(text)
    found = result.pop("detections")
    out = {
        "x": np.array([d["position"][0] for d in found]),
        "y": np.array([d["position"][1] for d in found]),
        "x_px": np.array([d["pixel"][0] for d in found]),
        "y_px": np.array([d["pixel"][1] for d in found]),
        "intensity": np.array([d["intensity"] for d in found]),
        "snr": np.array([d["snr"] for d in found]),
        "element": [d["element"] for d in found],
        "p_heavy": np.array([np.nan if d["p_heavy"] is None else d["p_heavy"] for d in found]),
    }
    out.update(result)
    return out


def read_image(path: "str | os.PathLike", pixel_size: "float | tuple[float, float] | None" = None) -> "Image":
    """An image file with its calibration, as ``sacsim detect`` reads it.

    Every format the CLI reads: TIFF (8/16/32-bit integer, float, palette
    grey; ImageJ, resolution and hyperspy calibration), Gatan DM3/DM4,
    Velox EMD, npy, PNG and sacsim image directories.

    Parameters
    ----------
    path : str or os.PathLike
    pixel_size : float or (float, float), optional
        Pixel size in Å, overriding the file's; required when the file
        carries none.

    Returns
    -------
    Image
        ``params`` holds ``calibration_source`` and the file's metadata
        (voltage, convergence, ... where present).
    """
    import numpy as np

    px = None
    if pixel_size is not None:
        px = (pixel_size, pixel_size) if np.isscalar(pixel_size) else tuple(pixel_size)
        px = (float(px[0]), float(px[1]))
    data, nx, ny, pixel, origin, source, metadata = _sacsim.read_image(str(path), px)
    array = np.frombuffer(data, dtype="<f4").reshape(ny, nx)
    return Image(array, pixel, origin, {"calibration_source": source, "metadata": dict(metadata)})


class Sample:
    """A large sample: ``atoms`` (ase.Atoms, site tags on each site's
    metals) and ``sites`` (one record per metal site: id, kind, motif,
    face, metals and their positions in Å; a pandas DataFrame when pandas
    is installed, else a list of dicts), as ``sacsim sample`` writes them
    (sample.xyz, sites.csv)."""

    def __init__(self, xyz, sites_csv, box, params):
        import csv

        from ase.io import read

        self._xyz = xyz
        self._rows = None
        self.box = box
        self.atoms = read(StringIO(xyz), format="extxyz")
        rows = list(csv.DictReader(StringIO(sites_csv)))
        self._rows = rows
        try:
            import pandas

            self.sites = pandas.read_csv(StringIO(sites_csv))
        except ImportError:
            self.sites = rows
        self.params = params

    def __repr__(self):
        return f"Sample({len(self.sites)} sites, {len(self.atoms)} atoms)"


def sample(size_nm: "tuple[float, float]" = (20.0, 20.0), density: float = 0.5, mix: "str | None" = None, support: "str | None" = None, seed: int = 1, **options) -> "Sample":
    """A large sample of dispersed metal sites, as ``sacsim sample``.

    Parameters
    ----------
    size_nm : (float, float)
        Field size (nm).
    density : float
        Metal sites per nm².
    mix : str, optional
        Site mixture, e.g. ``"l-comn:0.67,co-n4:0.17,mn-n4:0.16"``.
    support : str, optional
        ``"none"``, ``"amorphous"`` or ``"layers:N"``.
    seed : int
        Seed of every random choice.
    **options
        Any other key of the ``[sample]`` table, e.g.
        ``support_thickness_nm=2``, ``placement="clustered"``.
    """
    table = {"size_nm": [float(v) for v in size_nm], "density_per_nm2": density, "mix": mix,
             "support": support, "seed": seed}
    table.update(options)
    xyz, sites, box = _sacsim.sample_files(_toml(table))
    return Sample(xyz, sites, box, table)


def analyze(points, box: "tuple[float, float] | None" = None, region: "tuple[float, float, float, float] | None" = None, pair_window: "tuple[float, float]" = (0.2, 0.3), **settings) -> dict:
    """Pair statistics against the random baseline, as ``sacsim analyze``.

    Parameters
    ----------
    points : Sample, dict from :func:`detect`, or array (N, 2)
        A sample (its sites' metals in its periodic box), detections (in
        their image field), or x, y positions in Å.
    box : (float, float), optional
        Periodic box (Å) for bare points.
    region : (float, float, float, float), optional
        Open region x0, y0, width, height (Å) for bare points.
    pair_window : (float, float)
        Pair window (nm).
    **settings
        Any other key of the ``[analyze]`` table, e.g. ``monte_carlo=200``.

    Returns
    -------
    dict
        The keys of stats.json.
    """
    import json

    import numpy as np

    if isinstance(points, Sample):
        metals = [(r, k) for r in points._rows for k in (1, 2) if r[f"x{k}_A"]]
        xy = [(float(r[f"x{k}_A"]), float(r[f"y{k}_A"])) for r, k in metals]
        elements = [r[f"metal{k}"] for r, k in metals]
        box, region = points.box, None
    elif isinstance(points, dict) and "frame" in points:
        xy = list(zip(points["x"].tolist(), points["y"].tolist()))
        elements = points["element"] if all(e is not None for e in points["element"]) else None
        f = points["frame"]
        (ny, nx), (px, py), (ox, oy) = f["image_shape_ny_nx"], f["pixel_angstrom"], f["origin_angstrom"]
        # The field the pixels cover: from half a pixel before the first
        # pixel's centre.
        region = region or (ox - px / 2, oy - py / 2, nx * px, ny * py)
    else:
        xy = [tuple(map(float, p[:2])) for p in np.asarray(points, dtype=float)]
        elements = None
    settings["window_nm"] = [float(v) for v in pair_window]
    text = _sacsim.analyze_points(
        xy, _toml(settings),
        periodic=None if box is None else (float(box[0]), float(box[1])),
        region=None if region is None else tuple(float(v) for v in region),
        elements=elements,
    )
    return json.loads(text)


def _text_or_file(value):
    """TOML given as text or as a path to a file."""
    import os

    if value is None:
        return None
    if isinstance(value, os.PathLike) or ("\n" not in str(value) and os.path.isfile(str(value))):
        with open(value, encoding="utf-8") as f:
            return f.read()
    return str(value)


def dataset(count: int, config=None, out="dataset", force: bool = False) -> int:
    """Write (or resume) a labelled training set, as ``sacsim dataset``.

    ``config`` is a dataset configuration (TOML text or a path; None: the
    built-in L-Co1Mn1-NC survey recipe). Returns the number of images
    this call made (0 when ``out`` already holds them all).
    """
    return _sacsim.dataset_dir(count, str(out), config=_text_or_file(config), force=force)


def run(study=None, out="out/study") -> list:
    """Run a study end to end (models, samples, images, detection, pair
    statistics, report), as ``sacsim run``; ``study`` is TOML text or a
    path (None: the source paper's study). Returns summary.json's rows."""
    import json

    return json.loads(_sacsim.run_study_dir(str(out), study=_text_or_file(study)))
