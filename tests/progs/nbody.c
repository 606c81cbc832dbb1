/* Floating-point workload: an n-body simulation with a fixed time step; prints
 * energies with full precision. */
#include <stdio.h>
#include <math.h>

#define NB 5
struct body { double x, y, z, vx, vy, vz, m; };

static struct body bodies[NB] = {
    {0, 0, 0, 0, 0, 0, 39.47841760435743},
    {4.84143144246472090, -1.16032004402742839, -0.103622044471123109,
     0.606326392995832, 2.81198684491626, -0.02521836165988763, 0.03769367487038949},
    {8.34336671824457987, 4.12479856412430479, -0.403523417114321381,
     -1.010774346178792, 1.825662371230411, 0.008415761376584154, 0.011286326131968767},
    {12.8943695621391310, -15.1111514016986312, -0.223307578892655734,
     1.082791006441535, 0.8687130181696082, -0.01010622048036257, 0.0017237240570597112},
    {15.3796971148509165, -25.9193146099879641, 0.179258772950371181,
     0.979090732243898, 0.5946989986476762, -0.034755955504078104, 0.0020336868699246304}};

static double energy(void)
{
    double e = 0;
    for (int i = 0; i < NB; i++) {
        struct body *b = &bodies[i];
        e += 0.5 * b->m * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
        for (int j = i + 1; j < NB; j++) {
            double dx = b->x - bodies[j].x, dy = b->y - bodies[j].y, dz = b->z - bodies[j].z;
            e -= b->m * bodies[j].m / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void advance(double dt)
{
    for (int i = 0; i < NB; i++)
        for (int j = i + 1; j < NB; j++) {
            double dx = bodies[i].x - bodies[j].x, dy = bodies[i].y - bodies[j].y,
                   dz = bodies[i].z - bodies[j].z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * sqrt(d2));
            bodies[i].vx -= dx * bodies[j].m * mag; bodies[i].vy -= dy * bodies[j].m * mag;
            bodies[i].vz -= dz * bodies[j].m * mag;
            bodies[j].vx += dx * bodies[i].m * mag; bodies[j].vy += dy * bodies[i].m * mag;
            bodies[j].vz += dz * bodies[i].m * mag;
        }
    for (int i = 0; i < NB; i++) {
        bodies[i].x += dt * bodies[i].vx; bodies[i].y += dt * bodies[i].vy;
        bodies[i].z += dt * bodies[i].vz;
    }
}

int main(void)
{
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < NB; i++) {
        px += bodies[i].vx * bodies[i].m; py += bodies[i].vy * bodies[i].m;
        pz += bodies[i].vz * bodies[i].m;
    }
    bodies[0].vx = -px / bodies[0].m; bodies[0].vy = -py / bodies[0].m;
    bodies[0].vz = -pz / bodies[0].m;
    printf("energy before %.17g\n", energy());
    for (int step = 1; step <= 10000; step++) {
        advance(0.01);
        if (step % 2000 == 0) printf("step %5d energy %.17g x0 %.12f\n", step, energy(), bodies[1].x);
    }
    double e = energy();
    printf("energy after %.17g\n", e);
    return (int)(fabs(e) * 1e4) % 100;
}
