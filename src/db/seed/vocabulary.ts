/**
 * Words for synthetic members. Names come from many languages, a few with accents, so search
 * and the lower-cased display-name key meet more than ASCII; all of it is invented, none of it
 * is anyone's real profile.
 */
export const firstNames = [
  'Ada', 'Aiko', 'Alex', 'Amara', 'Ana', 'Andrea', 'Arjun', 'Ben', 'Bianca', 'Carlos', 'Chen', 'Chloé',
  'Dana', 'Daniel', 'Dmitri', 'Elena', 'Emeka', 'Emma', 'Eun-ji', 'Fatima', 'Felix', 'Grace', 'Hana',
  'Hugo', 'Ines', 'Isaac', 'Jamal', 'Jana', 'Javier', 'Jonas', 'José', 'Julia', 'Kai', 'Kenji', 'Lars',
  'Laura', 'Leila', 'Liam', 'Lucía', 'Maya', 'Mateo', 'Mei', 'Mia', 'Nadia', 'Nikhil', 'Noah', 'Nora',
  'Olu', 'Omar', 'Priya', 'Rafael', 'Rosa', 'Sam', 'Sara', 'Sofia', 'Tariq', 'Tomás', 'Uma', 'Victor',
  'Wei', 'Yara', 'Yusuf', 'Zoë', 'Zainab',
] as const;

export const lastNames = [
  'Abara', 'Andersen', 'Bakker', 'Banerjee', 'Brown', 'Castillo', 'Chen', 'Costa', 'Dubois', 'Eriksen',
  'Fernández', 'Fischer', 'García', 'Gómez', 'Hansen', 'Hughes', 'Ivanova', 'Jensen', 'Johnson', 'Kim',
  'Kowalski', 'Kumar', 'Larsen', 'Lee', 'López', 'Martin', 'Mensah', 'Moreau', 'Müller', 'Nakamura',
  'Nguyen', 'Novak', 'Okafor', 'Olsen', "O'Brien", 'Patel', 'Pereira', 'Petrov', 'Rossi', 'Sato',
  'Schmidt', 'Silva', 'Singh', 'Smith', 'Suzuki', 'Tanaka', 'Taylor', 'Thompson', 'Van Dijk', 'Wang',
  'Williams', 'Wilson', 'Wójcik', 'Yilmaz', 'Zhang', 'Zimmermann',
] as const;

export const cities = [
  'Amsterdam', 'Atlanta', 'Austin', 'Barcelona', 'Berlin', 'Boston', 'Brisbane', 'Chicago', 'Copenhagen',
  'Denver', 'Dublin', 'Edinburgh', 'Hamburg', 'Helsinki', 'Lagos', 'Lisbon', 'London', 'Los Angeles',
  'Madrid', 'Manchester', 'Melbourne', 'Mexico City', 'Montréal', 'Mumbai', 'Nairobi', 'New York',
  'Osaka', 'Oslo', 'Paris', 'Portland', 'São Paulo', 'Seattle', 'Seoul', 'Singapore', 'Stockholm',
  'Sydney', 'Tokyo', 'Toronto', 'Vancouver', 'Vienna', 'Warsaw', 'Zürich',
] as const;

export const bios = [
  'Early rides before work.',
  'Training for my first half marathon.',
  'Power Zone fan. Coffee first.',
  'Back on the bike after a knee injury.',
  'Yoga on Sundays, intervals on Tuesdays.',
  'Chasing a new PR every month.',
  'Here for the playlists.',
  'Rowing through the winter.',
  'Streak: still going.',
  'Parent of two, riding at 5 a.m.',
  'Strength and stretching, slowly but surely.',
  'Walking my way back to running.',
] as const;

export const instructorBios = [
  'Instructor. Let’s get after it.',
  'Instructor. Every ride is a fresh start.',
  'Instructor. Strong body, calm mind.',
  'Instructor. Music up, doubts down.',
] as const;
