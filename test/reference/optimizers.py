# Reference trajectories for worker/engine/optimizers/optimizers.test.ts, from PyTorch itself:
# python3 test/reference/optimizers.py  (torch 2.13 CPU, float64). The test embeds its output.
import torch, json
torch.set_default_dtype(torch.float64)
p0 = [0.5, -1.0, 2.0, 0.25]
gs = [[0.1, -0.2, 0.3, 0.4], [-0.5, 0.05, 0.2, -0.1], [0.3, 0.3, -0.3, 0.0]]
out = {}
cfgs = {
 'sgd': lambda p: torch.optim.SGD([p], lr=0.01, momentum=0.9),
 'sgd_nesterov_wd': lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.05),
 'adam': lambda p: torch.optim.Adam([p], lr=1e-3),
 'adam_wd': lambda p: torch.optim.Adam([p], lr=0.1, weight_decay=0.1),
 'adamw': lambda p: torch.optim.AdamW([p], lr=0.1),
 'rmsprop': lambda p: torch.optim.RMSprop([p], lr=1e-2),
 'rmsprop_centered_momentum': lambda p: torch.optim.RMSprop([p], lr=1e-2, centered=True, momentum=0.5),
 'nadamw': lambda p: torch.optim.NAdam([p], lr=0.1, weight_decay=0.01, decoupled_weight_decay=True),
}
for name, mk in cfgs.items():
    p = torch.nn.Parameter(torch.tensor(p0))
    o = mk(p)
    traj = []
    for g in gs:
        p.grad = torch.tensor(g)
        o.step()
        traj.append([round(x, 10) for x in p.detach().tolist()])
    out[name] = traj
print(json.dumps(out, indent=1))
