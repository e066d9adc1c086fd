"""Type stubs of the extension module (Rust, pyo3). Lengths in Å."""
from typing import Optional

__version__: str
DEFAULT_VACUUM: float
DEFAULT_A: float
DEFAULT_MN3_DISTANCE: float

def build_xyz(
    name: str,
    metals: list[str] = ...,
    cell: Optional[tuple[int, int]] = None,
    rect: Optional[tuple[int, int]] = None,
    vacuum: float = ...,
    a: float = ...,
    orientation: int = 0,
    mn3_distance: float = ...,
    fix_beyond: Optional[float] = None,
    free_shells: Optional[int] = None,
    magmom: list[tuple[str, float]] = ...,
    allow_small: bool = False,
    adsorbate: Optional[str] = None,
    adsorbate_height: Optional[float] = None,
    adsorbate_rotation: float = 0.0,
    model_name: Optional[str] = None,
) -> tuple[str, str]: ...
def simulate_xyz(
    xyz: str, imaging: str, acquisition: str
) -> tuple[bytes, int, int, tuple[float, float], tuple[float, float], str]: ...
def simulate_atoms(
    numbers: list[int],
    positions: list[list[float]],
    cell: list[list[float]],
    pbc: list[bool],
    tags: list[int],
    imaging: str,
    acquisition: str,
) -> tuple[bytes, int, int, tuple[float, float], tuple[float, float], str]: ...
def detect_array(
    data: bytes,
    nx: int,
    ny: int,
    pixel: tuple[float, float],
    origin: tuple[float, float],
    config: str,
    method: str,
    net_threshold: Optional[float] = None,
    views: int = 1,
) -> str: ...
def read_image(
    path: str, pixel: Optional[tuple[float, float]] = None
) -> tuple[bytes, int, int, tuple[float, float], tuple[float, float], str, list[tuple[str, str]]]: ...
def sample_files(config: str) -> tuple[str, str, tuple[float, float]]: ...
def analyze_points(
    points: list[tuple[float, float]],
    config: str,
    periodic: Optional[tuple[float, float]] = None,
    region: Optional[tuple[float, float, float, float]] = None,
    elements: Optional[list[str]] = None,
) -> str: ...
def dataset_dir(count: int, out: str, config: Optional[str] = None, force: bool = False) -> int: ...
def run_study_dir(out: str, study: Optional[str] = None) -> str: ...
