// tests/progs/types_prog.cc: a C++ heap whose objects' dynamic classes are
// known, for heapsnap --histo (tests/integration/histo.sh). Built -O2 -g; the
// test also strips a copy (the classes are named from RTTI, not symbols).
// Prints {"ready":PID} when its heap is built and exits when stdin closes.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <vector>

struct Shape {
    virtual ~Shape()
    {
    }
    virtual double area() const = 0;
};
struct Circle : Shape {
    double r = 1;
    double area() const override
    {
        return 3.14159 * r * r;
    }
};
struct Square : Shape {
    double s = 2, pad[5] = {0};
    double area() const override
    {
        return s * s;
    }
};
namespace shop
{
struct Session {
    virtual ~Session()
    {
    }
    char user[40] = "guest";
};
} // namespace shop
struct A {
    virtual ~A()
    {
    }
    long x = 1;
};
struct B {
    virtual ~B()
    {
    }
    long y = 2;
};
struct Both : A, B {
    long z = 3;
};
namespace
{
struct Local {
    virtual ~Local()
    {
    }
    int v = 4;
};
} // namespace

int main()
{
    std::vector<Shape *> shapes;
    std::vector<shop::Session *> sessions;
    std::vector<B *> bs; // held through the second base: the object still starts with A's vptr
    std::vector<Local *> locals;
    std::vector<void *> raw;
    shapes.reserve(1500);
    for (int i = 0; i < 1000; i++)
        shapes.push_back(new Circle);
    for (int i = 0; i < 500; i++)
        shapes.push_back(new Square);
    for (int i = 0; i < 300; i++)
        sessions.push_back(new shop::Session);
    for (int i = 0; i < 200; i++)
        bs.push_back(new Both);
    for (int i = 0; i < 100; i++)
        locals.push_back(new Local);
    for (int i = 0; i < 50; i++) {
        void *p = std::malloc(4000);
        std::memset(p, 0x5a, 4000);
        raw.push_back(p);
    }
    double sum = 0;
    for (Shape *s : shapes)
        sum += s->area();
    std::printf("{\"ready\":%d,\"area\":%.0f}\n", (int)getpid(), sum);
    std::fflush(stdout);
    char buf[64];
    while (read(0, buf, sizeof(buf)) > 0)
        ;
    return 0;
}
