"""Atari games from pixels for the DQN: N training games stepped as a batch, and a separate evaluation game.

Per agent step each game gives its newest 84×84 greyscale frame, the raw (unclipped) reward, whether a
life was lost, whether the game is over or was cut at the frame cap. Frames are not stacked here: the
replay memory builds the STACK_DEPTH-frame stacks from single frames, so what the agent acts on and what
it replays are the same by construction. A training episode ends at a lost life (the trainer's choice);
`restart` then gives the next episode's first frame, continuing the same game unless it is over.

    envs = AtariEnvs("ALE/Breakout-v5", n_envs=4, seed=1)
    frames = envs.reset()                       # (4, 84, 84) uint8
    out = envs.step(actions)                    # out.frames, out.rewards, out.life_lost, out.game_over, …
    ends = np.flatnonzero(out.episode_end)
    frames[ends] = envs.restart(ends)
"""
from dataclasses import dataclass, field

import numpy as np

from studio.errors import ConfigError
from studio.rl.atari_catalog import load_ale, rom_path
from studio.rl.atari_frames import FRAME_SHAPE, SCREEN, Shrinker
from studio.rl.atari_game import AtariSettings, Game

STACK_DEPTH = 4  # frames per agent input; the replay memory stacks them
COLOUR_SHAPE = SCREEN + (3,)  # (210, 160, 3): the game in colour, full resolution
STATE_VERSION = 1

__all__ = ["AtariEnvs", "AtariSettings", "AtariStep", "COLOUR_SHAPE", "EvalGame", "FinishedGame",
           "FRAME_SHAPE", "STACK_DEPTH"]


@dataclass(frozen=True)
class FinishedGame:
    env: int  # which training game
    score: float  # raw points of the whole game, all lives, including those scored while restarting
    length: int  # agent steps the caller took in it
    frames: int  # emulator frames, no-op starts and restarts included


@dataclass
class AtariStep:
    frames: np.ndarray  # (n, 84, 84) uint8, the newest frame of each game
    rewards: np.ndarray  # (n,) float32, raw
    life_lost: np.ndarray  # (n,) bool; may be true on the game-over step too
    game_over: np.ndarray  # (n,) bool
    truncated: np.ndarray  # (n,) bool: cut at the frame cap, not lost
    finished: list = field(default_factory=list)  # FinishedGame for each game that ended since the last step

    @property
    def episode_end(self) -> np.ndarray:
        """Where a training episode ends (the caller must `restart` those games)."""
        return self.life_lost | self.game_over | self.truncated


def _settings(**kwargs) -> AtariSettings:
    return AtariSettings(**kwargs).check()


class AtariEnvs:
    """n_envs training games of one Atari title, stepped one after another in this thread."""

    def __init__(self, env_id: str, n_envs: int = 1, seed: int = 0, *, frame_skip: int = 4, noop_max: int = 30,
                 repeat_action_probability: float = 0.0, max_frames: int = 108_000):
        if not (isinstance(n_envs, (int, np.integer)) and n_envs >= 1):
            raise ConfigError(f"the number of parallel games must be a whole number ≥ 1 (got {n_envs!r})")
        self.settings = _settings(frame_skip=frame_skip, noop_max=noop_max, max_frames=max_frames,
                                  repeat_action_probability=repeat_action_probability)
        ale_py, path = load_ale(), rom_path(env_id)
        self.env_id, self.n_envs, self.seed = env_id, int(n_envs), int(seed)
        shrink = Shrinker()  # one set of buffers: the games are stepped in turn
        seeds = np.random.SeedSequence(self.seed).spawn(self.n_envs)
        self.games = [Game(ale_py, path, s, self.settings, shrink) for s in seeds]
        self.action_names = self.games[0].action_names
        self.n_actions = len(self.action_names)
        self._finished = []  # games that ended while restarting, reported with the next step

    def reset(self) -> np.ndarray:
        """Start a new game in every env: (n, 84, 84) uint8."""
        for game in self.games:
            game.new_game()
        return self.frames()

    def frames(self) -> np.ndarray:
        """The newest frame of each game (also right after `load_state`)."""
        return np.stack([game.frame for game in self.games])

    def step(self, actions) -> AtariStep:
        actions = np.asarray(actions)
        if actions.shape != (self.n_envs,):
            raise ValueError(f"step needs one action per game: shape ({self.n_envs},), got {actions.shape}")
        n = self.n_envs
        out = AtariStep(np.empty((n,) + FRAME_SHAPE, np.uint8), np.zeros(n, np.float32), np.zeros(n, bool),
                        np.zeros(n, bool), np.zeros(n, bool), self._finished)
        self._finished = []
        for i, (game, action) in enumerate(zip(self.games, actions)):
            reward, out.life_lost[i], out.game_over[i], out.truncated[i] = game.step(int(action))
            out.rewards[i] = reward
            out.frames[i] = game.frame
            if game.over:
                out.finished.append(self._result(i))
        return out

    def restart(self, indices) -> np.ndarray:
        """The next training episode's first frame for each of `indices`: a new game (no-op start, FIRE)
        after game over or the cap, else the same game going on after the lost life."""
        indices = [int(i) for i in np.atleast_1d(indices)]
        for i in indices:
            game = self.games[i]
            if not game.over and game.continue_after_life():
                self._finished.append(self._result(i))  # the continuation itself ended the game
            if game.over:
                game.new_game()
        return np.stack([self.games[i].frame for i in indices]) if indices else np.empty((0,) + FRAME_SHAPE, np.uint8)

    def _result(self, i: int) -> FinishedGame:
        game = self.games[i]
        return FinishedGame(i, game.score, game.steps, game.frames)

    def colour(self, i: int = 0) -> np.ndarray:
        """Game i as the player sees it, (210, 160, 3) uint8: the very game the agent plays."""
        return self.games[i].colour()

    @property
    def lives(self) -> np.ndarray:
        return np.array([game.lives for game in self.games])

    @property
    def scores(self) -> np.ndarray:
        """Each game's raw score so far."""
        return np.array([game.score for game in self.games])

    @property
    def frame_numbers(self) -> np.ndarray:
        """Emulator frames played in each current game (no-op starts included)."""
        return np.array([game.frames for game in self.games])

    # -- exact resume ------------------------------------------------------------------------------
    def state(self) -> dict:
        """Everything needed to go on identically: plain bytes, ints, dicts and small arrays (~22 KB a game)."""
        return {"version": STATE_VERSION, "env_id": self.env_id, "n_envs": self.n_envs,
                "settings": vars(self.settings).copy(), "games": [game.state() for game in self.games],
                "finished": [vars(f).copy() for f in self._finished]}

    def load_state(self, saved: dict):
        """Continue from `state()` of a layer made with the same game, number of games and settings."""
        if saved.get("version") != STATE_VERSION:
            raise ConfigError(f"this checkpoint's Atari games are of another format (version {saved.get('version')!r}); "
                              "start a new run")
        mine = (self.env_id, self.n_envs, vars(self.settings))
        theirs = (saved["env_id"], saved["n_envs"], saved["settings"])
        if mine != theirs:
            raise ConfigError(f"the checkpoint plays {theirs[0]} with {theirs[1]} games ({theirs[2]}), this run "
                              f"{mine[0]} with {mine[1]} ({mine[2]}); resume with the checkpoint's settings")
        for game, state in zip(self.games, saved["games"]):
            game.set_state(state)
        self._finished = [FinishedGame(**f) for f in saved["finished"]]

    def close(self):
        self.games = []


class EvalGame:
    """Whole games (no end at a lost life) for evaluation, apart from the training games, seeded; the
    caller plays with its own policy. FIRE is pressed only at the start: after a lost life it is the
    policy's to press."""

    def __init__(self, env_id: str, seed: int = 0, *, frame_skip: int = 4, noop_max: int = 30,
                 repeat_action_probability: float = 0.0, max_frames: int = 108_000):
        settings = _settings(frame_skip=frame_skip, noop_max=noop_max, max_frames=max_frames,
                             repeat_action_probability=repeat_action_probability)
        self.env_id = env_id
        self.game = Game(load_ale(), rom_path(env_id), np.random.SeedSequence(int(seed)), settings, Shrinker())
        self.action_names = self.game.action_names
        self.n_actions = len(self.action_names)

    def reset(self) -> np.ndarray:
        """Start the next game: its first 84×84 frame."""
        self.game.new_game()
        return self.game.frame.copy()

    def step(self, action: int):
        """-> (84×84 frame, raw reward, done): done when the game is over or cut at the frame cap."""
        reward, _, game_over, truncated = self.game.step(int(action))
        return self.game.frame.copy(), reward, bool(game_over or truncated)

    def colour(self) -> np.ndarray:
        return self.game.colour()

    @property
    def score(self) -> float:
        return self.game.score

    @property
    def lives(self) -> int:
        return self.game.lives
