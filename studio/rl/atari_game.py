"""One Atari game on one emulator with the standard preprocessing (Mnih et al. 2015; Machado et al. 2018):
frame skip with a max over the last two screens, no-op starts, FIRE to start, the frame cap, raw rewards,
and its whole state as plain values for an exact resume."""
from dataclasses import dataclass

import numpy as np

from studio.errors import ConfigError
from studio.rl.atari_catalog import needs_fire
from studio.rl.atari_frames import FRAME_SHAPE, SCREEN, Shrinker


@dataclass(frozen=True)
class AtariSettings:
    frame_skip: int = 4  # emulator frames per agent step
    noop_max: int = 30  # a new game starts with 1…noop_max NOOP frames, so starts differ
    repeat_action_probability: float = 0.0  # sticky actions: 0 in the Nature setting, 0.25 in Machado's
    max_frames: int = 108_000  # a game is cut (truncated) after this many emulator frames: 30 minutes

    def check(self):
        if not (isinstance(self.frame_skip, int) and self.frame_skip >= 1):
            raise ConfigError(f"frame skip must be a whole number ≥ 1 (got {self.frame_skip!r}); 4 is standard")
        if not (isinstance(self.noop_max, int) and self.noop_max >= 0):
            raise ConfigError(f"no-op starts must be a whole number ≥ 0 (got {self.noop_max!r}); 30 is standard")
        if not 0.0 <= float(self.repeat_action_probability) <= 1.0:
            raise ConfigError(f"sticky-action probability must be within 0…1 (got {self.repeat_action_probability!r})")
        if not (isinstance(self.max_frames, int) and self.max_frames >= 1):
            raise ConfigError(f"the frame cap must be a whole number ≥ 1 (got {self.max_frames!r}); 108000 is standard")
        return self


class Game:
    """An emulator plus the layer's own counters. `over` means the game ended (lost or cut) and the next
    thing must be `new_game()`."""

    def __init__(self, ale_py, rom_path, seed: np.random.SeedSequence, settings: AtariSettings, shrink: Shrinker):
        self.settings, self.shrink = settings, shrink
        ale_seed, noop_seed = seed.generate_state(2)
        self.ale = ale_py.ALEInterface()
        self.ale.setInt("random_seed", int(ale_seed % 2**31))  # ALE takes a signed 32-bit seed
        self.ale.setFloat("repeat_action_probability", float(settings.repeat_action_probability))
        self.ale.loadROM(str(rom_path))
        self._state_type = ale_py.ALEState
        self.actions = list(self.ale.getMinimalActionSet())
        self.action_names = tuple(a.name for a in self.actions)
        self.fire = needs_fire(self.action_names)
        self.rng = np.random.Generator(np.random.PCG64(noop_seed))  # draws the no-op counts only
        self.screens = np.zeros((2,) + SCREEN, np.uint8)  # the last two greyscale screens
        self.frame = np.zeros(FRAME_SHAPE, np.uint8)  # the newest 84×84 frame
        self.score, self.frames, self.steps, self.lives, self.over = 0.0, 0, 0, 0, True

    # -- emulation ---------------------------------------------------------------------------------
    def _repeat(self, action) -> float:
        """One agent step: the action for frame_skip frames (fewer if the game ends or hits the cap),
        summing the raw rewards; the frame is the max of the last two screens."""
        ale, skip, cap = self.ale, self.settings.frame_skip, self.settings.max_frames
        reward, pooled_with = 0.0, None
        for k in range(skip):
            reward += ale.act(action)
            self.frames += 1
            if k == skip - 1 or ale.game_over() or self.frames >= cap:
                ale.getScreenGrayscale(self.screens[1])
                break
            if k == skip - 2:
                ale.getScreenGrayscale(self.screens[0])
                pooled_with = self.screens[0]
        self.shrink(self.screens[1] if pooled_with is None else pooled_with, self.screens[1], self.frame)
        self.score += reward
        return reward

    def _go_on(self):
        """After a reset or a lost life: press FIRE for one agent step in games that wait for it."""
        if self.fire:
            self._repeat(self.actions[1])

    def new_game(self):
        """Reset, 1…noop_max NOOP frames, FIRE if the game needs it; again if that already ended it."""
        while True:
            self.ale.reset_game()
            self.score, self.frames, self.steps = 0.0, 0, 0
            noops = int(self.rng.integers(1, self.settings.noop_max + 1)) if self.settings.noop_max else 0
            for k in range(noops):
                self.score += self.ale.act(self.actions[0])
                self.frames += 1
                if k == noops - 2:
                    self.ale.getScreenGrayscale(self.screens[0])
            self.ale.getScreenGrayscale(self.screens[1])
            self.shrink(self.screens[0] if noops >= 2 else self.screens[1], self.screens[1], self.frame)
            self._go_on()
            self.lives = self.ale.lives()
            if not self._ended():
                self.over = False
                return

    def continue_after_life(self) -> bool:
        """The continuation after a lost life (FIRE in games that need it); True if it ended the game."""
        self._go_on()
        self.lives = self.ale.lives()
        self.over = self._ended()
        return self.over

    def _ended(self) -> bool:
        return self.ale.game_over() or self.frames >= self.settings.max_frames

    def step(self, index: int):
        """-> raw reward, life lost, game over, truncated (cut at the frame cap)."""
        if self.over:
            raise RuntimeError("this game is over: start a new one (restart / reset) before stepping it")
        reward = self._repeat(self.actions[index])
        self.steps += 1
        game_over = self.ale.game_over()
        truncated = not game_over and self.frames >= self.settings.max_frames
        lives = self.ale.lives()
        life_lost, self.lives = lives < self.lives, lives
        self.over = game_over or truncated
        return reward, life_lost, game_over, truncated

    def colour(self) -> np.ndarray:
        """The screen as the player sees it: (210, 160, 3) uint8, a fresh array."""
        return self.ale.getScreenRGB()

    # -- exact resume ------------------------------------------------------------------------------
    def state(self) -> dict:
        return {"emulator": self.ale.cloneState(include_rng=True).serialize(),
                "noop_rng": self.rng.bit_generator.state, "score": self.score, "frames": self.frames,
                "steps": self.steps, "lives": self.lives, "over": self.over, "frame": self.frame.copy()}

    def set_state(self, saved: dict):
        self.ale.restoreState(self._state_type(saved["emulator"]))
        self.rng.bit_generator.state = saved["noop_rng"]
        self.score, self.frames, self.steps = float(saved["score"]), int(saved["frames"]), int(saved["steps"])
        self.lives, self.over = int(saved["lives"]), bool(saved["over"])
        self.frame[...] = saved["frame"]
