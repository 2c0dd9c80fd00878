#!/usr/bin/env python3
"""PyTorch reference for `npm run bench:train`: the same update shapes as bench/train-updates.ts.

    python3 bench/torch_reference.py --shape td3|td3-256|maddpg-admm --threads N --updates N

Prints one JSON line {"shape", "threads", "msPerUpdate", "torch"}. Written the way a PyTorch user
would (CleanRL's TD3 update: one optimizer per network, critic losses summed per critic, the actor
loss through critic 1, soft updates with in-place foreach ops); fixed random batches, no replay.
Optional: the bench skips it when torch cannot be imported.
"""
import argparse
import json
import os
import time

# torch.set_num_threads does not reach a BLAS with threads of its own (Debian's python3-torch on
# libopenblas0-pthread: one "thread" then kept both cores busy). Such libraries read their thread
# count from the environment when they load, so it is set from --threads before torch is imported.
_pre = argparse.ArgumentParser(add_help=False)
_pre.add_argument("--threads", type=int, default=1)
_threads = str(_pre.parse_known_args()[0].threads)
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = _threads

import torch  # noqa: E402
from torch import nn  # noqa: E402


def mlp(sizes, last):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(nn.ReLU())
    if last == "sigmoid":
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def pair(sizes, last, lr):
    online = mlp(sizes, last)
    target = mlp(sizes, last)
    target.load_state_dict(online.state_dict())
    for p in target.parameters():
        p.requires_grad_(False)
    return online, target, torch.optim.Adam(online.parameters(), lr=lr)


@torch.no_grad()
def soft_update(online, target, tau):
    t = list(target.parameters())
    torch._foreach_mul_(t, 1 - tau)
    torch._foreach_add_(t, list(online.parameters()), alpha=tau)


def td3_update(hidden):
    B, F, S, gamma, tau = 256, 45, 3, 0.99, 0.005
    actor, actor_t, actor_opt = pair([F, hidden, hidden, S], "sigmoid", 3e-4)
    critics = [pair([F + S, hidden, hidden, 1], "linear", 3e-4) for _ in range(2)]
    obs, nxt, act, reward = torch.rand(B, F), torch.rand(B, F), torch.rand(B, S), torch.rand(B, 1)
    step = [0]

    def update():
        with torch.no_grad():
            next_in = torch.cat([nxt, actor_t(nxt)], 1)
            y = reward + gamma * torch.min(critics[0][1](next_in), critics[1][1](next_in))
        cur = torch.cat([obs, act], 1)
        for critic, _, opt in critics:
            loss = nn.functional.mse_loss(critic(cur), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        step[0] += 1
        if step[0] % 2:
            return
        actor_loss = -critics[0][0](torch.cat([obs, actor(obs)], 1)).mean()
        actor_opt.zero_grad()
        actor_loss.backward()
        actor_opt.step()
        soft_update(actor, actor_t, tau)
        for critic, target, _ in critics:
            soft_update(critic, target, tau)

    return update


def maddpg_update():
    B, S, NF, types, gamma, tau, clip = 256, 3, 15, 3, 0.5, 0.01, 0.5
    actor_inputs, critic_inputs = NF + 2, NF + 1 + S * NF + S
    nets = [(pair([actor_inputs, 64, 64, 1], "sigmoid", 1e-3), pair([critic_inputs, 64, 64, 1], "linear", 2e-3)) for _ in range(types)]
    actor_in, critic_in, next_critic_in = torch.rand(B, actor_inputs), torch.rand(B, critic_inputs), torch.rand(B, critic_inputs)
    reward = torch.rand(B, 1)

    def update():
        for t, ((actor, actor_t, actor_opt), (critic, critic_t, critic_opt)) in enumerate(nets):
            with torch.no_grad():
                for _ in range(3):
                    actor_t(actor_in)
                y = reward + gamma * critic_t(next_critic_in)
            loss = nn.functional.mse_loss(critic(critic_in), y)
            critic_opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(critic.parameters(), clip)
            critic_opt.step()
            x = actor(actor_in)
            parts = [critic_in[:, :NF], x, critic_in[:, NF + 1 : critic_inputs - S + t], x, critic_in[:, critic_inputs - S + t + 1 :]]
            actor_loss = -critic(torch.cat(parts, 1)).mean()
            actor_opt.zero_grad()
            actor_loss.backward()
            nn.utils.clip_grad_norm_(actor.parameters(), clip)
            actor_opt.step()
        for (actor, actor_t, _), (critic, critic_t, _) in nets:
            soft_update(actor, actor_t, tau)
            soft_update(critic, critic_t, tau)

    return update


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", required=True, choices=["td3", "td3-256", "maddpg-admm"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(7)
    update = maddpg_update() if args.shape == "maddpg-admm" else td3_update(128 if args.shape == "td3" else 256)
    for _ in range(args.warmup):
        update()
    started = time.perf_counter()
    for _ in range(args.updates):
        update()
    ms = (time.perf_counter() - started) * 1000 / args.updates
    print(json.dumps({"shape": args.shape, "threads": args.threads, "msPerUpdate": ms, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
