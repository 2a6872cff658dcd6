"""Classes: small vector objects allocated in a loop, method calls and field updates."""


def num(x):
    """A number as Neutron prints it (%.15g)."""
    return "%.15g" % x


class Vec:
    def __init__(self, x, y, z):
        self.x = x
        self.y = y
        self.z = z

    def add(self, o):
        return Vec(self.x + o.x, self.y + o.y, self.z + o.z)

    def sub(self, o):
        return Vec(self.x - o.x, self.y - o.y, self.z - o.z)

    def scale(self, k):
        return Vec(self.x * k, self.y * k, self.z * k)

    def dot(self, o):
        return self.x * o.x + self.y * o.y + self.z * o.z

    def cross(self, o):
        return Vec(self.y * o.z - self.z * o.y, self.z * o.x - self.x * o.z, self.x * o.y - self.y * o.x)


class Particle:
    def __init__(self, pos, vel):
        self.pos = pos
        self.vel = vel
        self.bounces = 0

    def step(self, dt):
        self.pos = self.pos.add(self.vel.scale(dt))
        if self.pos.y < 0:
            self.pos.y = 0 - self.pos.y
            self.vel.y = 0 - self.vel.y
            self.bounces = self.bounces + 1
        self.vel.y = self.vel.y - 9.75 * dt


def main():
    axis = Vec(1, 2, 3)
    acc = Vec(0, 0, 0)
    total = 0
    for i in range(400000):
        v = Vec(i % 7, i % 11, i % 13)
        w = v.cross(axis).add(v.scale(0.5)).sub(axis)
        acc = acc.add(w)
        total = total + w.dot(v)
    print(f"acc {num(acc.x)} {num(acc.y)} {num(acc.z)}")
    print(f"total {num(total)}")

    particles = []
    for i in range(50):
        particles.append(Particle(Vec(i, 10 + i % 5, 0), Vec(1, 0, 0.25 * (i % 4))))
    for _ in range(4000):
        for p in particles:
            p.step(0.01)
    bounces = 0
    height = 0
    for p in particles:
        bounces += p.bounces
        height = height + p.pos.y
    print(f"bounces {bounces}")
    print(num(height))


if __name__ == "__main__":
    main()
