"""Which gymnasium games the DQN agent can play here, and making them with clear errors."""
import importlib.util
import os

import numpy as np

from studio.errors import ConfigError

# The games offered, and the Python module each needs beyond gymnasium itself.
CANDIDATES = {"CartPole-v1": "pygame", "Acrobot-v1": "pygame", "MountainCar-v0": "pygame",
              "LunarLander-v3": "Box2D"}
INSTALL_HINT = {"pygame": "gymnasium[classic-control]", "Box2D": "gymnasium[box2d]"}
# What each action does, from the games' documentation (a viewer shows these beside the Q-values).
ACTION_NAMES = {"CartPole-v1": ("push left", "push right"),
                "Acrobot-v1": ("torque −1", "no torque", "torque +1"),
                "MountainCar-v0": ("accelerate left", "don't accelerate", "accelerate right"),
                "LunarLander-v3": ("do nothing", "left engine", "main engine", "right engine")}


def action_names(env_id: str, n: int) -> tuple:
    names = ACTION_NAMES.get(env_id, ())
    return tuple(names) if len(names) == n else tuple(f"action {i}" for i in range(n))


def available_envs() -> list[str]:
    """The candidate games whose extra module is installed (rendering needs it; LunarLander needs it to run)."""
    return [env_id for env_id, module in CANDIDATES.items() if importlib.util.find_spec(module) is not None]


def first_frame(env, env_id: str):
    """Reset the game and draw it once: the frame size, and a clear error if drawing needs a package."""
    from gymnasium.error import DependencyNotInstalled

    try:
        env.reset(seed=0)
        return env.render()
    except DependencyNotInstalled as exc:
        extra = INSTALL_HINT.get(CANDIDATES.get(env_id, ""), "the environment's extras")
        raise ConfigError(f"drawing {env_id} needs a package that is not installed: pip install \"{extra}\" "
                          f"({exc})") from None


def make_env(env_id: str, render: bool = False):
    """A gymnasium env with discrete actions and a vector observation, or a ConfigError saying what to do."""
    import gymnasium as gym
    from gymnasium.error import DependencyNotInstalled, Error as GymError

    if render:  # frames are drawn off screen: SDL needs no display (without one it prints an error)
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

    try:
        env = gym.make(env_id, render_mode="rgb_array" if render else None)
    except DependencyNotInstalled as exc:
        extra = INSTALL_HINT.get(CANDIDATES.get(env_id, ""), "the environment's extras")
        raise ConfigError(f"{env_id} needs a package that is not installed: pip install \"{extra}\" ({exc})") from None
    except GymError as exc:
        raise ConfigError(f"no gymnasium environment {env_id!r} ({exc}); "
                          f"available here: {', '.join(available_envs())}") from None
    if not isinstance(env.action_space, gym.spaces.Discrete):
        env.close()
        raise ConfigError(f"{env_id} has continuous actions ({env.action_space}); DQN needs a discrete set of "
                          "actions (CartPole-v1, Acrobot-v1, MountainCar-v0, LunarLander-v3)")
    if len(env.observation_space.shape or ()) != 1:
        env.close()
        raise ConfigError(f"{env_id} observes {env.observation_space}; this agent's MLP needs a vector observation")
    return env


def game_state(env) -> dict | None:
    """The game's state mid-episode as plain values (for a checkpoint), for games whose whole state is
    an array plus their random generator — the classic-control ones; None for others (Box2D)."""
    game = env.unwrapped
    if getattr(game, "state", None) is None or getattr(game, "world", None) is not None:
        return None
    saved = {"state": np.asarray(game.state, np.float64).tolist(),
             "rng": game.np_random.bit_generator.state,
             "steps_beyond_terminated": getattr(game, "steps_beyond_terminated", None)}
    limit = _time_limit(env)
    if limit is not None:
        saved["elapsed"] = int(limit._elapsed_steps)
    return saved


def restore_game_state(env, saved: dict) -> None:
    """Put a game back where game_state found it."""
    game = env.unwrapped
    game.state = np.array(saved["state"], np.float64)
    game.np_random.bit_generator.state = saved["rng"]
    if hasattr(game, "steps_beyond_terminated"):
        game.steps_beyond_terminated = saved["steps_beyond_terminated"]
    limit = _time_limit(env)
    if limit is not None and "elapsed" in saved:
        limit._elapsed_steps = saved["elapsed"]


def _time_limit(env):
    """The TimeLimit wrapper around the game (it counts the episode's steps), or None."""
    from gymnasium.wrappers import TimeLimit
    layer = env
    while layer is not env.unwrapped:
        if isinstance(layer, TimeLimit):
            return layer
        layer = layer.env
    return None
