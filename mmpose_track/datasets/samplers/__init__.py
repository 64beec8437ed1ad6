from .video_grouped_sampler import VideoGroupedSampler, split_videos

__all__ = ['VideoGroupedSampler', 'split_videos']
