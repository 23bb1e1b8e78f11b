"""Which Atari games the installed ale-py can play, their titles and action names, and the one-line
errors for a game that cannot be played. ale-py is imported only when an Atari game is asked for, so the
rest of the studio works without it."""
import difflib
import functools
import os
import re
from pathlib import Path

from studio.errors import ConfigError

INSTALL_HINT = 'pip install "ale-py>=0.11" (or reinstall the studio: pip install -e .)'
# Titles that title-casing the ROM name gets wrong; every other game reads well as "Space Invaders".
TITLES = {"ms_pacman": "Ms. Pac-Man", "montezuma_revenge": "Montezuma's Revenge", "qbert": "Q*bert",
          "hero": "H.E.R.O.", "jamesbond": "James Bond 007", "up_n_down": "Up 'n Down",
          "mr_do": "Mr. Do!", "pacman": "Pac-Man", "lost_luggage": "Lost Luggage",
          "kung_fu_master": "Kung-Fu Master", "video_checkers": "Video Checkers"}


def load_ale():
    """The ale_py module, or a ConfigError saying how to install it."""
    try:
        import ale_py
    except ImportError:
        raise ConfigError(f"Atari games need the ale-py package, which is not installed: {INSTALL_HINT}") from None
    ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Error)  # no banner on every emulator made
    return ale_py


@functools.lru_cache(maxsize=1)
def _registered() -> dict:
    """Gymnasium-style id -> ROM name, as ale-py registers them (it leaves out the ROMs without a
    single-player mode: loading one of those ends the whole process)."""
    load_ale()
    import gymnasium as gym

    return {env_id: spec.kwargs["game"] for env_id, spec in gym.registry.items()
            if env_id.startswith("ALE/") and env_id.endswith("-v5") and "game" in spec.kwargs}


def _roms_dir() -> Path:
    override = os.environ.get("ALE_ROMS_DIR")  # ale-py reads ROMs from here when it is set
    return Path(override) if override else Path(load_ale().roms.__file__).parent


def games() -> list[str]:
    """Every game id whose ROM ships with the installed ale-py ("ALE/Pong-v5", …), sorted by title."""
    roms = _roms_dir()
    found = [env_id for env_id, rom in _registered().items() if (roms / f"{rom}.bin").is_file()]
    return sorted(found, key=title)


def title(env_id: str) -> str:
    """A readable name: "ALE/SpaceInvaders-v5" -> "Space Invaders"."""
    rom = _registered().get(env_id)
    if rom is None:
        return env_id
    return TITLES.get(rom) or " ".join(word.capitalize() for word in rom.split("_"))


def _key(text: str) -> str:
    """What a person means by a name, for suggestions: "ALE/Space_Invaders-v5" -> "spaceinvaders"."""
    text = re.sub(r"^ale/|-v\d+$|noframeskip", "", text.strip().lower())
    return re.sub(r"[^a-z0-9]", "", text)


def rom_path(env_id: str) -> Path:
    """The ROM file of a game id, or a ConfigError naming close ids or how to restore a missing ROM."""
    ale_py = load_ale()
    rom = _registered().get(env_id)
    if rom is None:
        keys = {_key(known): known for known in _registered()}
        close = [keys[k] for k in difflib.get_close_matches(_key(env_id), list(keys), n=3, cutoff=0.6)]
        hint = f"did you mean {', '.join(close)}?" if close else "ids look like ALE/Pong-v5 or ALE/Breakout-v5"
        raise ConfigError(f"no Atari game {env_id!r}; {hint} (studio.rl.atari_catalog.games() lists all)")
    try:
        path = ale_py.roms.get_rom_path(rom)
    except OSError as exc:  # missing file, unreadable folder, or a ROM whose checksum is wrong
        raise ConfigError(f"the ROM of {env_id} is missing or damaged ({exc.__class__.__name__}: "
                          f"{str(exc).splitlines()[0]}); reinstall it: pip install --force-reinstall "
                          '"ale-py>=0.11" (and unset ALE_ROMS_DIR if it is set)') from None
    if path is None:
        raise ConfigError(f"the installed ale-py does not support the ROM of {env_id}; "
                          f'upgrade it: pip install -U "ale-py>=0.11"')
    return Path(path)


@functools.lru_cache(maxsize=None)
def action_names(env_id: str) -> tuple[str, ...]:
    """The names of a game's minimal action set, in the agent's action order ("NOOP", "FIRE", …).
    Loading a ROM takes ~0.1 s, hence one game at a time, remembered."""
    ale_py = load_ale()
    path = rom_path(env_id)
    ale = ale_py.ALEInterface()
    ale.loadROM(str(path))
    return tuple(action.name for action in ale.getMinimalActionSet())


def needs_fire(names) -> bool:
    """Games that wait for FIRE to start (or to go on after a life) have it as action 1 of ≥3."""
    return len(names) >= 3 and names[1] == "FIRE"
