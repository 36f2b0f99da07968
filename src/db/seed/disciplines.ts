import { type Discipline, disciplines } from '../schema.js';
import { type Stream, weighted } from './random.js';

/**
 * How each discipline looks in the data. Outputs (kJ) exist only where the equipment measures
 * them (bike, tread, rower); cadence only on the bike; distance only where something moves.
 * Ranges are for an average member and are scaled by the member's fitness.
 */
export interface DisciplineProfile {
  /** Popularity among workouts and classes. */
  weight: number;
  /** Class lengths in minutes, with their weights. */
  minutes: readonly (readonly [number, number])[];
  /** Average watts (so output kJ = watts × seconds / 1000), or null when nothing measures output. */
  watts: readonly [number, number] | null;
  cadenceRpm: readonly [number, number] | null;
  speedKmh: readonly [number, number] | null;
  heartRateBpm: readonly [number, number];
  /** Used when there is no output to derive energy from. */
  kcalPerMinute: readonly [number, number];
  classStyles: readonly string[];
  classNoun: string;
  freeTitle: string;
}

export const profiles: Record<Discipline, DisciplineProfile> = {
  cycling: {
    weight: 40,
    minutes: [[10, 1], [15, 1], [20, 3], [30, 5], [45, 3], [60, 2], [75, 0.5], [90, 0.5]],
    watts: [90, 230],
    cadenceRpm: [72, 98],
    speedKmh: [22, 34],
    heartRateBpm: [120, 160],
    kcalPerMinute: [8, 13],
    classStyles: ['Power Zone', 'HIIT', 'Climb', 'Intervals', '80s', 'Pop', 'Low Impact', 'Tabata', 'Hip Hop', 'Endurance'],
    classNoun: 'Ride',
    freeTitle: 'Just Ride',
  },
  running: {
    weight: 18,
    minutes: [[10, 1], [15, 1], [20, 3], [30, 4], [45, 2], [60, 1]],
    watts: [120, 260],
    cadenceRpm: null,
    speedKmh: [8, 14],
    heartRateBpm: [135, 170],
    kcalPerMinute: [9, 14],
    classStyles: ['Endurance', 'HIIT', 'Tempo', 'Fun', 'Hills', 'Progression', 'Recovery', 'Intervals'],
    classNoun: 'Run',
    freeTitle: 'Just Run',
  },
  rowing: {
    weight: 6,
    minutes: [[5, 1], [10, 2], [15, 2], [20, 3], [30, 2], [45, 1]],
    watts: [80, 220],
    cadenceRpm: null,
    speedKmh: [11, 16],
    heartRateBpm: [125, 165],
    kcalPerMinute: [8, 12],
    classStyles: ['Foundations', 'Sweat Steady', 'Intervals', 'Pyramid', 'Power', 'Endurance'],
    classNoun: 'Row',
    freeTitle: 'Just Row',
  },
  strength: {
    weight: 16,
    minutes: [[5, 1], [10, 3], [20, 3], [30, 2], [45, 1]],
    watts: null,
    cadenceRpm: null,
    speedKmh: null,
    heartRateBpm: [100, 145],
    kcalPerMinute: [5, 9],
    classStyles: ['Full Body', 'Upper Body', 'Lower Body', 'Core', 'Glutes & Legs', 'Arms & Light Weights', 'Bodyweight'],
    classNoun: 'Strength',
    freeTitle: 'Free Strength',
  },
  yoga: {
    weight: 8,
    minutes: [[10, 2], [20, 3], [30, 3], [45, 1], [60, 1]],
    watts: null,
    cadenceRpm: null,
    speedKmh: null,
    heartRateBpm: [80, 115],
    kcalPerMinute: [3, 5],
    classStyles: ['Slow Flow', 'Power', 'Yin', 'Restorative', 'Morning', 'Sunset'],
    classNoun: 'Yoga',
    freeTitle: 'Free Yoga',
  },
  walking: {
    weight: 6,
    minutes: [[10, 1], [20, 2], [30, 3], [45, 2], [60, 1]],
    watts: [50, 120],
    cadenceRpm: null,
    speedKmh: [4.2, 6.8],
    heartRateBpm: [95, 125],
    kcalPerMinute: [4, 6],
    classStyles: ['Power', 'Hiking', 'Music', 'Recovery', 'Peak Pace'],
    classNoun: 'Walk',
    freeTitle: 'Just Walk',
  },
  meditation: {
    weight: 6,
    minutes: [[5, 3], [10, 3], [15, 2], [20, 1], [30, 1]],
    watts: null,
    cadenceRpm: null,
    speedKmh: null,
    heartRateBpm: [58, 75],
    kcalPerMinute: [1, 1.5],
    classStyles: ['Sleep', 'Mindfulness', 'Gratitude', 'Breath', 'Focus'],
    classNoun: 'Meditation',
    freeTitle: 'Unguided Meditation',
  },
};

export const pickDiscipline: (stream: Stream) => Discipline = weighted(disciplines.map((d) => [d, profiles[d].weight] as const));

const minutePickers = Object.fromEntries(disciplines.map((d) => [d, weighted(profiles[d].minutes)])) as Record<Discipline, (stream: Stream) => number>;

export function pickMinutes(discipline: Discipline, stream: Stream): number {
  return minutePickers[discipline](stream);
}
