"""Reinforcement-learning pieces for the DQN agent: the replay buffer and the environment catalogue."""
