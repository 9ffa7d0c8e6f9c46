"""How often two objects of one class touch or overlap in their visible masks (8-connected
union) in the out-of-distribution scenes (4-5 objects, classes repeat; 1000, seed 12345)."""
import numpy as np
from scipy import ndimage

from econ_pyro.data import SceneConfig, generate_scenes

sc = generate_scenes(1000, SceneConfig(kind="unique", image_size=32, min_objects=4,
                                       max_objects=5, repeat_classes=True), seed=12345)
eight = np.ones((3, 3), bool)
pairs = joined = scenes_separate = 0
for i in range(len(sc)):
    cls, present = np.asarray(sc.classes[i]), np.asarray(sc.present[i])
    vis = np.asarray(sc.visible[i])
    objs = [j for j in range(len(cls)) if present[j] and cls[j] > 0]
    separate = True
    for a, j in enumerate(objs):
        for k in objs[a + 1:]:
            if cls[j] == cls[k]:
                pairs += 1
                union = (vis[j] > 0.5) | (vis[k] > 0.5)
                if ndimage.label(union, structure=eight)[1] == 1:
                    joined += 1
                    separate = False
    scenes_separate += separate
print(f"same-class pairs {pairs}, touching or overlapping (visible, 8-connected) {joined} "
      f"({joined / pairs:.3f}); scenes whose same-class objects are all apart "
      f"{scenes_separate} of {len(sc)}")
