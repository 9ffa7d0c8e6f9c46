import numpy as np
import pytest
from PIL import Image

from econ_pyro.data import (
    DataError,
    ImageFolder,
    SceneConfig,
    SceneDataset,
    generate_dataset,
    generate_scenes,
    load_image,
    read_dataset,
)


def test_round_trip(tmp_path):
    out = tmp_path / "ds"
    meta = generate_dataset(out, 20, SceneConfig(), seed=5)
    scenes, meta2 = read_dataset(out)
    ref = generate_scenes(20, SceneConfig(), seed=5)
    for k, v in ref.arrays().items():
        np.testing.assert_array_equal(v, getattr(scenes, k))
    assert meta2["seed"] == 5 and meta2["generator"]["kind"] == "unique" and meta["n"] == 20
    for i in (0, 19):
        png = np.asarray(Image.open(out / "images" / f"{i:06d}.png"))
        np.testing.assert_array_equal(png, ref.images[i])
    ds = SceneDataset.from_folder(out)
    assert ds[0]["image"].shape == (3, 32, 32) and float(ds[0]["image"].max()) <= 1


def test_refuses_non_empty_and_overwrites(tmp_path):
    out = tmp_path / "ds"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(DataError, match="not empty"):
        generate_dataset(out, 5, SceneConfig())
    assert (out / "keep.txt").exists()
    generate_dataset(out, 5, SceneConfig(), overwrite=True)
    assert not (out / "keep.txt").exists() and (out / "gt.npz").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ds.tmp")]


def test_image_folder_errors_and_conversion(tmp_path):
    with pytest.raises(DataError, match="no PNG"):
        ImageFolder(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        ImageFolder(tmp_path / "missing")
    Image.fromarray(np.full((20, 40), 200, np.uint8), "L").save(tmp_path / "gray.png")
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:16, :, 3] = 255
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    ds = ImageFolder(tmp_path, image_size=16)
    gray = ds[0]["image"]
    assert gray.shape == (3, 16, 16) and np.allclose(gray.numpy(), 200 / 255)
    img = load_image(tmp_path / "rgba.png", 32)
    assert (img[:16, :, 0] == 255).all() and (img[16:] == 0).all()  # composited over black
    good = (tmp_path / "gray.png").read_bytes()
    (tmp_path / "broken.png").write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match="cannot read image"):
        load_image(tmp_path / "broken.png", 16)
