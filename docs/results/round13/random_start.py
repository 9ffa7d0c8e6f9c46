"""Random-colour scenes decomposed by the unique-colour models before any random-colour
training (the cpu-random preset starts from one of them): which start is better?

OMP_NUM_THREADS=1 python random_start.py  (300 held-out random-colour scenes, seed 12345;
"region": the competition scored with L_r only, as the cpu-random preset trains)"""
import torch

from econ_pyro import load
from econ_pyro.data import SceneConfig, generate_scenes
from econ_pyro.evaluation import evaluate

KEYS = ["fg_ari", "amodal_iou_occluded", "depth_order_accuracy", "background_last",
        "object_count_accuracy"]

if __name__ == "__main__":
    torch.set_num_threads(1)
    scenes = generate_scenes(300, SceneConfig(kind="random", image_size=32), seed=12345)
    for name in ["cpu-unique-s4", "cpu-unique", "cpu-random"]:
        econ = load(name)
        for score in ["as trained", "region"]:
            if score == "region":
                econ.competition.score_form = "region"
            m = evaluate(econ, scenes, baselines=False)
            sp = m["specialisation"]
            print(name, score, {k: round(float(m[k]["mean"]), 3) for k in KEYS},
                  round(sp["purity"], 3), sp["distinct_experts"])
